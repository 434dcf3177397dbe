// My accounts: filters, free-text search and paging; and the new-account form.
import { h, replace } from '../lib/dom.js';
import { idOf } from '../lib/api.js';
import { session } from '../lib/auth.js';
import { formatDateTime, t, tEnum } from '../lib/i18n.js';
import { clearErrors, enumOptions, field, formBanner, formValues, showErrors } from '../lib/forms.js';
import { accounts } from '../lib/resources.js';
import { navigate } from '../lib/nav.js';
import { accountFilter } from '../lib/logic.js';
import { empty, table } from './common.js';

export const LIFECYCLE = ['LIFECYCLE_STAGE_PROSPECT', 'LIFECYCLE_STAGE_ACTIVE', 'LIFECYCLE_STAGE_AT_RISK', 'LIFECYCLE_STAGE_DORMANT', 'LIFECYCLE_STAGE_CHURNED'];
export const TIERS = ['ACCOUNT_TIER_STRATEGIC', 'ACCOUNT_TIER_KEY', 'ACCOUNT_TIER_STANDARD'];
export const ORG_TYPES = ['ORGANIZATION_TYPE_COMMERCIAL', 'ORGANIZATION_TYPE_NON_PROFIT', 'ORGANIZATION_TYPE_GOVERNMENT', 'ORGANIZATION_TYPE_INTERNAL_UNIT', 'ORGANIZATION_TYPE_PUBLIC_INSTITUTION'];

export function renderAccounts(main) {
  const params = new URLSearchParams(location.search);
  const state = {
    search: params.get('q') ?? '',
    lifecycle: params.get('lifecycle') ?? '',
    tier: params.get('tier') ?? '',
    mine: params.get('mine') === '1',
    order: params.get('order') ?? 'display_name',
    tokens: [''], // page tokens seen: index = page number
    page: 0,
  };
  const results = h('div', { 'aria-live': 'polite', 'aria-busy': 'false', id: 'account-results' });
  const form = h(
    'form',
    {
      class: 'filters',
      role: 'search',
      'aria-label': t('accounts.filters'),
      onsubmit: (e) => {
        e.preventDefault();
        const v = formValues(form);
        Object.assign(state, { search: v.q, lifecycle: v.lifecycle, tier: v.tier, order: v.order, mine: form.querySelector('#mine').checked, tokens: [''], page: 0 });
        const q = new URLSearchParams();
        if (state.search) q.set('q', state.search);
        if (state.lifecycle) q.set('lifecycle', state.lifecycle);
        if (state.tier) q.set('tier', state.tier);
        if (state.mine) q.set('mine', '1');
        if (state.order !== 'display_name') q.set('order', state.order);
        history.replaceState(null, '', `/accounts${q.toString() ? `?${q}` : ''}`);
        load();
      },
    },
    formBanner(),
    field({ label: t('accounts.search'), name: 'q', type: 'search', value: state.search }),
    field({ label: t('account.lifecycle'), name: 'lifecycle', value: state.lifecycle, options: enumOptions(LIFECYCLE, 'LIFECYCLE_STAGE_', { blank: t('common.any') }) }),
    field({ label: t('account.tier'), name: 'tier', value: state.tier, options: enumOptions(TIERS, 'ACCOUNT_TIER_', { blank: t('common.any') }) }),
    field({
      label: t('accounts.order'),
      name: 'order',
      value: state.order,
      options: [
        { value: 'display_name', label: t('accounts.orderName') },
        { value: 'create_time desc', label: t('accounts.orderNewest') },
      ],
    }),
    h('div', { class: 'field checkbox' }, h('input', { type: 'checkbox', id: 'mine', checked: state.mine }), h('label', { for: 'mine' }, t('accounts.mine'))),
    h('button', { type: 'submit', class: 'primary' }, t('accounts.apply')),
  );

  async function load() {
    clearErrors(form);
    results.setAttribute('aria-busy', 'true');
    try {
      const data = await accounts.list({
        page_size: 20,
        page_token: state.tokens[state.page],
        filter: accountFilter(state, session().subject),
        order_by: state.order,
      });
      if (data.nextPageToken) state.tokens[state.page + 1] = data.nextPageToken;
      else state.tokens.length = state.page + 1;
      draw(data.accounts ?? []);
    } catch (err) {
      replace(results);
      showErrors(form, err);
    } finally {
      results.setAttribute('aria-busy', 'false');
    }
  }

  function draw(list) {
    const rows = list.map((a) =>
      h(
        'tr',
        {},
        h('td', {}, h('a', { href: `/accounts/${idOf(a.name)}`, 'data-link': '' }, a.displayName)),
        h('td', {}, tEnum(a.lifecycleStage, 'LIFECYCLE_STAGE_')),
        h('td', {}, tEnum(a.tier, 'ACCOUNT_TIER_')),
        h('td', {}, a.territory ?? ''),
        h('td', {}, a.owner ?? ''),
        h('td', {}, formatDateTime(a.updateTime)),
      ),
    );
    const pager = h(
      'nav',
      { class: 'pager', 'aria-label': t('common.paging') },
      h('button', { type: 'button', disabled: state.page === 0, onclick: () => { state.page -= 1; load(); } }, t('common.previous')),
      h('span', {}, t('common.page', { n: state.page + 1 })),
      h('button', { type: 'button', disabled: state.tokens.length <= state.page + 1, onclick: () => { state.page += 1; load(); } }, t('common.next')),
    );
    replace(
      results,
      list.length
        ? table(
            [t('account.displayName'), t('account.lifecycle'), t('account.tier'), t('account.territory'), t('account.owner'), t('common.updated')],
            rows,
            { caption: t('accounts.title') },
          )
        : empty('accounts.none'),
      pager,
    );
  }

  main.append(
    h('div', { class: 'page-head' }, h('h1', {}, t('accounts.title')), h('a', { href: '/accounts/new', 'data-link': '', class: 'button primary' }, t('accounts.new'))),
    form,
    results,
  );
  load();
}

export function renderAccountForm(main) {
  const form = h(
    'form',
    { class: 'card', novalidate: true, onsubmit: submit },
    formBanner(),
    field({ label: t('account.displayName'), name: 'display_name', required: true }),
    field({ label: t('account.legalName'), name: 'legal_name' }),
    field({ label: t('account.type'), name: 'type', required: true, options: enumOptions(ORG_TYPES, 'ORGANIZATION_TYPE_', { blank: t('common.choose') }) }),
    field({ label: t('account.tier'), name: 'tier', value: 'ACCOUNT_TIER_STANDARD', options: enumOptions(TIERS, 'ACCOUNT_TIER_') }),
    field({ label: t('account.industry'), name: 'industry' }),
    field({ label: t('account.territory'), name: 'territory' }),
    field({ label: t('account.website'), name: 'website', type: 'url' }),
    h('button', { type: 'submit', class: 'primary' }, t('common.create')),
  );
  async function submit(e) {
    e.preventDefault();
    const v = formValues(form);
    const account = {
      displayName: v.display_name,
      legalName: v.legal_name,
      type: v.type || 'ORGANIZATION_TYPE_UNSPECIFIED',
      tier: v.tier,
      industry: v.industry,
      territory: v.territory,
      website: v.website,
    };
    try {
      const created = await accounts.create(account);
      navigate(`/accounts/${idOf(created.name)}`);
    } catch (err) {
      showErrors(form, err);
    }
  }
  main.append(h('h1', {}, t('accounts.new')), form);
}
