// The window's own script (no inline script runs under its Content-Security-Policy).
document.addEventListener('click', (event) => {
  if (event.target.closest('[data-print]')) window.print();
  if (event.target.closest('[data-back]') && history.length > 1) {
    event.preventDefault();
    history.back();
  }
});
