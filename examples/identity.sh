# Sourced by run.sh and run-cluster.sh after mocks.sh: starts the identity
# platform (examples/identity, oidc-provider) on 127.0.0.1:9200 for the
# platforms at the addresses given, and waits until it answers; stops it on exit.
# Expects the `mocks` array of mocks.sh, whose trap stops what it holds.
if (exec 3<>"/dev/tcp/127.0.0.1/9200") 2>/dev/null; then
  echo "error: something already listens on 127.0.0.1:9200; stop it first (an earlier make run?)" >&2
  exit 1
fi
urls=$(IFS=,; echo "$*")
(cd examples/identity && IDENTITY_ADDR=127.0.0.1:9200 ONEWINDOW_URL="$urls" \
  ONEWINDOW_OIDC_CLIENT_SECRET=demo-oidc-client-secret-0001 exec node provider.mjs) & mocks+=($!)
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/9200") 2>/dev/null && break
  sleep 0.1
done
