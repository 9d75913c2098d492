# Sourced by run.sh and run-cluster.sh: starts the seven mock legacy department
# systems (one stage every 5 s) and waits until they listen. Expects `bin` and
# `data`; stops them on exit.
ports=(9101 9102 9104 9105 9106 9107)
for port in "${ports[@]}" "$@"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "error: something already listens on 127.0.0.1:$port; stop it first (an earlier make run?)" >&2
    exit 1
  fi
done

pace=(--stage-ms 5000)
mocks=()
trap 'kill "${mocks[@]}" 2>/dev/null || true' EXIT INT TERM
# 县市场监督管理局 pushes its status changes, signed, to the (first) platform's hook.
"$bin/legacy-systems" market-supervision --listen 127.0.0.1:9101 "${pace[@]}" \
  --push-url "http://127.0.0.1:${1:-8080}/hooks/market-supervision" \
  --push-secret demo-hook-secret-market-supervision-0001 & mocks+=($!)
"$bin/legacy-systems" public-security --listen 127.0.0.1:9102 "${pace[@]}" & mocks+=($!)
"$bin/legacy-systems" social-security --listen 127.0.0.1:9104 "${pace[@]}" & mocks+=($!)
"$bin/legacy-systems" tax --listen 127.0.0.1:9105 "${pace[@]}" & mocks+=($!)
# 县民政局 speaks GB 18030; its adapter is written in Python.
"$bin/legacy-systems" civil-affairs --listen 127.0.0.1:9106 "${pace[@]}" & mocks+=($!)
# 县医疗保障局's WCF service wants a login; its adapter is written in JavaScript.
"$bin/legacy-systems" medical-insurance --listen 127.0.0.1:9107 "${pace[@]}" & mocks+=($!)
# 县不动产登记中心's batch job works in the platform's exchange folder for it.
"$bin/legacy-systems" real-estate --exchange-dir "$data/exchange/real-estate" "${pace[@]}" & mocks+=($!)
for port in "${ports[@]}"; do
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
done
