/*
 * bulwark.js: the little script Bulwark adds to nhsuk-frontend's. Loaded in
 * <head> without defer so the page is marked as scripted before it is drawn
 * (nhsuk-frontend's own template does this with an inline script, which our
 * Content-Security-Policy forbids). Every page works without it.
 */
document.documentElement.className += ' js-enabled';

document.addEventListener('DOMContentLoaded', function () {
  'use strict';
  // Buttons that print the page (contingency plans, contact trees): hidden
  // without script, because without script they could do nothing.
  document.querySelectorAll('[data-bw-print]').forEach(function (el) {
    el.hidden = false;
    el.addEventListener('click', function (ev) {
      ev.preventDefault();
      window.print();
    });
  });
  // Forms that do something hard to undo ask once more. The server never
  // relies on this: it is a second chance, not a control.
  document.querySelectorAll('form[data-bw-confirm]').forEach(function (form) {
    form.addEventListener('submit', function (ev) {
      if (!window.confirm(form.getAttribute('data-bw-confirm'))) {
        ev.preventDefault();
      }
    });
  });
});
