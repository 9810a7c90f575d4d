// Progressive enhancement only: the console works without this file.
// Filter forms submit on change of a select, so a keyboard user still has the Filter button.
document.querySelectorAll('form.filters select').forEach((s) => s.addEventListener('change', () => s.form.requestSubmit()));
// A release asks once more, naming the image.
document.querySelectorAll('form[action="/quarantine/release"]').forEach((f) => f.addEventListener('submit', (e) => {
  if (!window.confirm('Release this image? The registry actions are undone and pulls are allowed again.')) e.preventDefault();
}));
