// Pieces several pages use: section loaders with their own error state, status badges.
import { h, replace } from '../lib/dom.js';
import { t, tEnum } from '../lib/i18n.js';
import { errorText } from '../lib/forms.js';

// A titled section that loads on its own: one service being down leaves the rest of the page.
export function section(titleKey, id) {
  const body = h('div', { class: 'section-body', 'aria-busy': 'true' }, h('p', { class: 'muted' }, t('common.loading')));
  const el = h('section', { class: 'card', id, 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, t(titleKey)), body);
  return {
    el,
    body,
    async load(fetcher, draw) {
      body.setAttribute('aria-busy', 'true');
      try {
        const data = await fetcher();
        replace(body, draw(data));
      } catch (err) {
        console.error(err);
        replace(body, h('p', { class: 'notice error' }, errorText(err)));
      } finally {
        body.setAttribute('aria-busy', 'false');
      }
    },
  };
}

export function empty(key = 'common.none') {
  return h('p', { class: 'muted' }, t(key));
}

export function table(headers, rows, { caption } = {}) {
  return h(
    'table',
    { class: 'data' },
    caption ? h('caption', { class: 'visually-hidden' }, caption) : null,
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows),
  );
}

const SLA_CLASS = {
  SLA_STATE_ON_TRACK: 'ok',
  SLA_STATE_MET: 'ok',
  SLA_STATE_WARNING: 'warn',
  SLA_STATE_BREACHED: 'bad',
  SLA_STATE_PAUSED: 'neutral',
  SLA_STATE_NONE: 'neutral',
};

// The state is written out, never shown by colour alone.
export function slaBadge(state) {
  const s = state || 'SLA_STATE_NONE';
  return h('span', { class: ['badge', SLA_CLASS[s] ?? 'neutral'], dataset: { sla: s } }, tEnum(s, 'SLA_STATE_'));
}
