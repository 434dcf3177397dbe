// Form fields with a label, an optional hint and an error slot tied to the control by
// aria-describedby, so a screen reader reads the message the API gave for that field.
import { h, replace, uid } from './dom.js';
import { t, tEnum } from './i18n.js';
import { Code } from './api.js';

export function field({ label, name, type = 'text', value = '', required = false, options, hint, rows, attrs = {} }) {
  const id = uid(`f-${name.replace(/[^a-z0-9]/gi, '-')}`);
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  const common = {
    id,
    name,
    dataset: { field: name },
    required,
    'aria-required': required ? 'true' : null,
    'aria-describedby': [hintId, errorId].filter(Boolean).join(' '),
    ...attrs,
  };
  let control;
  if (options) {
    control = h(
      'select',
      common,
      options.map((o) => h('option', { value: o.value, selected: o.value === value }, o.label)),
    );
  } else if (type === 'textarea') {
    control = h('textarea', { ...common, rows: rows ?? 3 }, value);
  } else {
    control = h('input', { ...common, type, value });
  }
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label, required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    control,
    h('p', { class: 'field-error', id: errorId, 'aria-live': 'polite' }),
  );
}

export function enumOptions(values, prefix, { blank } = {}) {
  const list = values.map((v) => ({ value: v, label: tEnum(v, prefix) }));
  return blank ? [{ value: '', label: blank }, ...list] : list;
}

export function formValues(form) {
  const values = {};
  for (const el of form.querySelectorAll('[data-field]')) values[el.dataset.field] = el.value.trim();
  return values;
}

export function clearErrors(form) {
  for (const el of form.querySelectorAll('[data-field]')) el.removeAttribute('aria-invalid');
  for (const el of form.querySelectorAll('.field-error')) replace(el);
  const banner = form.querySelector('.form-error');
  if (banner) replace(banner).hidden = true;
}

// Puts each field violation at its field and focuses the first; anything else goes to the
// form's banner. Returns the number of messages placed at fields.
export function showErrors(form, err) {
  clearErrors(form);
  let placed = 0;
  const unplaced = [];
  for (const v of err.fieldViolations ?? []) {
    const control = form.querySelector(`[data-field="${CSS.escape(v.field)}"]`) ?? form.querySelector(`[data-field="${CSS.escape(v.field.split(/[.[]/)[0])}"]`);
    if (!control) {
      unplaced.push(`${v.field}: ${v.description}`);
      continue;
    }
    control.setAttribute('aria-invalid', 'true');
    const slot = document.getElementById(`${control.id}-error`);
    if (slot) slot.append(slot.textContent ? ` ${v.description}` : v.description);
    if (placed === 0) control.focus();
    placed += 1;
  }
  if (placed === 0 || unplaced.length) {
    const banner = form.querySelector('.form-error');
    if (banner) {
      replace(banner, errorText(err), unplaced.length ? h('ul', {}, unplaced.map((u) => h('li', {}, u))) : null);
      banner.hidden = false;
      if (placed === 0) banner.focus();
    }
  }
  return placed;
}

export function errorText(err) {
  switch (err.code) {
    case Code.UNAUTHENTICATED:
      return t('error.unauthenticated');
    case Code.PERMISSION_DENIED:
      return t('error.permission', { message: err.message });
    case Code.UNAVAILABLE:
      return t('error.unavailable');
    case Code.NOT_FOUND:
      return t('error.notFound', { message: err.message });
    default:
      return err.message || t('error.unknown');
  }
}

export function formBanner() {
  return h('div', { class: 'form-error', role: 'alert', tabindex: '-1', hidden: true });
}

// An ABORTED (stale etag) save: the user's edits stay in the form; "Reload and retry" takes the
// current version's etag and saves the same edits over it.
export function conflictNotice(onRetry) {
  const button = h('button', { type: 'button', class: 'primary', onclick: () => onRetry(button) }, t('conflict.retry'));
  return h(
    'div',
    { class: 'notice warning conflict', role: 'alert' },
    h('p', {}, t('conflict.text')),
    button,
  );
}

// Runs `attempt(etag)` for a form's save or delete. A field violation goes to its field; ABORTED
// (someone else saved first) puts the conflict notice in the form's `.conflict-slot`, keeping
// what the user typed, and "Reload and retry" runs the same attempt with the etag `reload()`
// returns. `attempt` finishes its own success (redraws, announces) and resolves true, so that a
// retry's success is finished too.
export async function attemptKeepingEdits(form, etag, attempt, reload) {
  clearErrors(form);
  const slot = form.querySelector('.conflict-slot');
  try {
    return await attempt(etag);
  } catch (err) {
    if (!err.conflict || !slot) {
      showErrors(form, err);
      return false;
    }
    replace(
      slot,
      conflictNotice(async (button) => {
        button.disabled = true;
        try {
          const latest = await reload();
          replace(slot);
          await attemptKeepingEdits(form, latest, attempt, reload);
        } catch (e2) {
          showErrors(form, e2);
        }
      }),
    );
    slot.querySelector('.conflict .primary').focus();
    return false;
  }
}

// The FieldMask paths and JSON body of what the user changed in `form`, compared with `item`
// (the version the form was opened on). `fields` are [mask path, JSON name] pairs; a field the
// form does not hold is left out.
export function changedFields(form, item, fields) {
  const v = formValues(form);
  const changed = fields.filter(([path, json]) => path in v && v[path] !== (item[json] ?? ''));
  const body = { name: item.name };
  for (const [path, json] of changed) body[json] = v[path];
  return { body, paths: changed.map(([path]) => path) };
}
