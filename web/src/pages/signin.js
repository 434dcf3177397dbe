import { h } from '../lib/dom.js';
import { signIn } from '../lib/auth.js';
import { t } from '../lib/i18n.js';
import { clearErrors, field, formBanner, showErrors } from '../lib/forms.js';

export function renderSignIn(main, onSignedIn) {
  const form = h(
    'form',
    {
      class: 'card narrow',
      novalidate: true,
      onsubmit: (e) => {
        e.preventDefault();
        clearErrors(form);
        const token = form.querySelector('[data-field=token]').value;
        const result = signIn(token);
        if (result instanceof Error) {
          showErrors(form, { fieldViolations: [{ field: 'token', description: t(result.message) }] });
          return;
        }
        onSignedIn();
      },
    },
    formBanner(),
    field({
      label: t('signin.token'),
      name: 'token',
      type: 'textarea',
      rows: 5,
      required: true,
      hint: t('signin.hint'),
      attrs: { autocomplete: 'off', spellcheck: 'false' },
    }),
    h('button', { type: 'submit', class: 'primary' }, t('signin.submit')),
  );
  main.append(h('h1', {}, t('signin.title')), h('p', {}, t('signin.intro')), form);
}
