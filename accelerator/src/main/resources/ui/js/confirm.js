// Asks before a destructive action (delete, rollback, reset, shrink) in a modal dialog.

/** Resolves true if the user pressed the action button, false on Cancel or Escape. */
export function confirmAction(title, text, action) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  const ok = document.getElementById('confirm-ok');
  const cancel = document.getElementById('confirm-cancel');
  ok.textContent = action;
  return new Promise((resolve) => {
    const done = (answer) => {
      ok.removeEventListener('click', yes);
      cancel.removeEventListener('click', no);
      dialog.removeEventListener('cancel', no);
      if (dialog.open) {
        dialog.close();
      }
      resolve(answer);
    };
    const yes = () => done(true);
    const no = (event) => {
      if (event) {
        event.preventDefault();
      }
      done(false);
    };
    ok.addEventListener('click', yes);
    cancel.addEventListener('click', no);
    dialog.addEventListener('cancel', no);
    dialog.showModal();
    cancel.focus();
  });
}
