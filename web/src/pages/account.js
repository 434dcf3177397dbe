// One account: profile (editable, etag-guarded), hierarchy, team and needs (editable,
// account_children.js), key contacts (and adding one), recent interactions, follow-ups due, open cases with their SLA clocks, trading terms and
// recent sales. Each section loads on its own; account, contact and case events refresh theirs.
import { h, replace } from '../lib/dom.js';
import { idOf } from '../lib/api.js';
import { formatDate, formatDateTime, formatDuration, formatMoney, t, tEnum } from '../lib/i18n.js';
import { attemptKeepingEdits, changedFields, clearErrors, enumOptions, field, formBanner, formValues, showErrors } from '../lib/forms.js';
import { accounts, cases, contacts, pricing } from '../lib/resources.js';
import { subscribe } from '../lib/live.js';
import { LIFECYCLE, TIERS } from './accounts.js';
import { childEditor } from './account_children.js';
import { caseFromEvent } from './cases.js';
import { empty, section, slaBadge, table } from './common.js';

const EDITABLE = [
  ['display_name', 'displayName', 'account.displayName'],
  ['legal_name', 'legalName', 'account.legalName'],
  ['lifecycle_stage', 'lifecycleStage', 'account.lifecycle'],
  ['tier', 'tier', 'account.tier'],
  ['industry', 'industry', 'account.industry'],
  ['territory', 'territory', 'account.territory'],
  ['website', 'website', 'account.website'],
];

const RELATION_ROLES = [
  'ACCOUNT_RELATION_ROLE_DECISION_MAKER',
  'ACCOUNT_RELATION_ROLE_BUYER',
  'ACCOUNT_RELATION_ROLE_BILLING',
  'ACCOUNT_RELATION_ROLE_TECHNICAL',
  'ACCOUNT_RELATION_ROLE_END_USER',
  'ACCOUNT_RELATION_ROLE_EXECUTIVE_SPONSOR',
  'ACCOUNT_RELATION_ROLE_KEY_CONTACT',
];

const personName = (c) => [c?.givenName, c?.familyName].filter(Boolean).join(' ') || idOf(c?.name);

export function renderAccount(main, name) {
  const title = h('h1', {}, idOf(name));
  const announcer = h('p', { class: 'visually-hidden', 'aria-live': 'polite', id: 'account-announcer' });
  const profile = section('account.profile', 'profile');
  const tree = section('account.hierarchy', 'hierarchy');
  const team = section('account.team', 'team');
  const needs = section('account.needs', 'needs');
  const keyContacts = section('account.keyContacts', 'key-contacts');
  const interactions = section('account.interactions', 'interactions');
  const followUps = section('account.followUps', 'follow-ups');
  const openCases = section('account.cases', 'cases');
  const terms = section('account.terms', 'terms');
  const sales = section('account.sales', 'sales');
  let account = null;
  let contactNames = [];

  main.append(
    h('p', {}, h('a', { href: '/accounts', 'data-link': '' }, t('account.back'))),
    title,
    announcer,
    h('div', { class: 'grid' }, profile.el, tree.el, team.el, needs.el, keyContacts.el, interactions.el, followUps.el, openCases.el, terms.el, sales.el),
  );

  function loadProfile() {
    return profile.load(
      () => accounts.get(name),
      (a) => {
        account = a;
        replace(title, a.displayName);
        document.title = `${a.displayName} · ${t('app.name')}`;
        return profileView(a);
      },
    );
  }

  function profileView(a) {
    const rows = [
      ['account.legalName', a.legalName],
      ['account.type', tEnum(a.type, 'ORGANIZATION_TYPE_')],
      ['account.lifecycle', tEnum(a.lifecycleStage, 'LIFECYCLE_STAGE_')],
      ['account.tier', tEnum(a.tier, 'ACCOUNT_TIER_')],
      ['account.industry', a.industry],
      ['account.territory', a.territory],
      ['account.website', a.website],
      ['account.owner', a.owner],
      ['account.labels', (a.labels ?? []).join(', ')],
      ['common.updated', formatDateTime(a.updateTime)],
    ];
    return [
      h('dl', { class: 'props' }, rows.flatMap(([k, v]) => [h('dt', {}, t(k)), h('dd', { dataset: { prop: k } }, v || '—')])),
      h('button', { type: 'button', class: 'primary', id: 'edit-account', onclick: () => replace(profile.body, editForm(a)) }, t('common.edit')),
    ];
  }

  function editForm(a) {
    const form = h(
      'form',
      { novalidate: true, 'aria-label': t('account.edit'), onsubmit: (e) => { e.preventDefault(); save(a.etag); } },
      formBanner(),
      h('div', { class: 'conflict-slot' }),
      field({ label: t('account.displayName'), name: 'display_name', value: a.displayName ?? '', required: true }),
      field({ label: t('account.legalName'), name: 'legal_name', value: a.legalName ?? '' }),
      field({ label: t('account.lifecycle'), name: 'lifecycle_stage', value: a.lifecycleStage, options: enumOptions(LIFECYCLE, 'LIFECYCLE_STAGE_') }),
      field({ label: t('account.tier'), name: 'tier', value: a.tier, options: enumOptions(TIERS, 'ACCOUNT_TIER_') }),
      field({ label: t('account.industry'), name: 'industry', value: a.industry ?? '' }),
      field({ label: t('account.territory'), name: 'territory', value: a.territory ?? '' }),
      field({ label: t('account.website'), name: 'website', value: a.website ?? '', type: 'url' }),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'submit', class: 'primary' }, t('common.save')),
        h('button', { type: 'button', onclick: () => replace(profile.body, profileView(account)) }, t('common.cancel')),
      ),
    );
    // The fields the user changed, compared with the version the form was opened on; a retry
    // after a conflict sends the same edits over the newer version.
    const fields = EDITABLE;
    async function save(etag) {
      const { body, paths } = changedFields(form, a, fields);
      if (paths.length === 0) {
        replace(profile.body, profileView(account));
        return;
      }
      await attemptKeepingEdits(
        form,
        etag,
        async (current) => {
          account = await accounts.update(body, paths, current);
          replace(profile.body, profileView(account));
          replace(title, account.displayName);
          replace(announcer, t('common.saved'));
          return true;
        },
        async () => (await accounts.get(name)).etag,
      );
    }
    return form;
  }

  const loaders = {
    tree: () =>
      tree.load(
        () => accounts.tree(name),
        (data) => {
          const nodes = data.descendants ?? [];
          const parent = data.root?.parent;
          return [
            parent ? h('p', {}, t('account.parent'), ' ', h('a', { href: `/accounts/${idOf(parent)}`, 'data-link': '' }, idOf(parent))) : null,
            nodes.length
              ? h(
                  'ul',
                  { class: 'tree', 'aria-label': t('account.hierarchy') },
                  nodes.map((n) => {
                    const li = h(
                      'li',
                      {},
                      h('a', { href: `/accounts/${idOf(n.account.name)}`, 'data-link': '' }, n.account.displayName),
                      ' ',
                      h('span', { class: 'muted' }, tEnum(n.account.lifecycleStage, 'LIFECYCLE_STAGE_')),
                    );
                    // CSSOM, not a style attribute: the CSP allows no inline styles.
                    li.style.setProperty('--depth', String(n.depth));
                    return li;
                  }),
                )
              : empty('account.noChildren'),
          ];
        },
      ),
    team: childEditor('team', team, name, (text) => replace(announcer, text)),
    needs: childEditor('needs', needs, name, (text) => replace(announcer, text)),
    keyContacts: () =>
      keyContacts.load(
        () => accounts.keyContacts(name),
        (data) => {
          const list = data.keyContacts ?? [];
          contactNames = list.map((k) => k.contact?.name).filter(Boolean);
          return [
            list.length
              ? table(
                  [t('contact.name'), t('contact.jobTitle'), t('contact.role'), t('contact.email')],
                  list.map((k) =>
                    h(
                      'tr',
                      { dataset: { contact: k.contact?.name ?? '' } },
                      h('td', {}, personName(k.contact)),
                      h('td', {}, k.contact?.jobTitle ?? ''),
                      h('td', {}, tEnum(k.role, 'ACCOUNT_RELATION_ROLE_')),
                      h('td', {}, k.contact?.personalDataMasked ? t('contact.masked') : (k.contact?.emails ?? []).map((e) => e.address).join(', ')),
                    ),
                  ),
                )
              : empty('account.noContacts'),
            addContactForm(),
          ];
        },
      ),
    interactions: () =>
      interactions.load(
        () => contacts.interactions(`account = "${name}"`),
        (data) => {
          const list = data.interactions ?? [];
          return list.length
            ? table(
                [t('interaction.time'), t('interaction.channel'), t('interaction.outcome'), t('interaction.summary')],
                list.map((i) => h('tr', {}, h('td', {}, formatDateTime(i.interactionTime)), h('td', {}, tEnum(i.channel, 'INTERACTION_CHANNEL_')), h('td', {}, tEnum(i.outcome, 'INTERACTION_OUTCOME_')), h('td', {}, i.summary || i.subject || ''))),
              )
            : empty();
        },
      ),
    followUps: () =>
      followUps.load(
        () => contacts.dueFollowUps(),
        (data) => {
          // Follow-ups belong to contacts: those of this account's key contacts.
          const list = (data.followUps ?? []).filter((f) => contactNames.some((c) => f.name.startsWith(`${c}/`)));
          return list.length
            ? table([t('followUp.due'), t('followUp.subject'), t('followUp.owner')], list.map((f) => h('tr', {}, h('td', {}, formatDateTime(f.dueTime)), h('td', {}, f.subject ?? ''), h('td', {}, f.owner ?? ''))))
            : empty();
        },
      ),
    cases: () =>
      openCases.load(
        () => cases.list({ filter: `account = "${name}" AND NOT status = RESOLVED AND NOT status = CLOSED`, page_size: 50, order_by: 'priority desc' }),
        (data) => {
          const list = data.cases ?? [];
          return list.length
            ? table(
                [t('case.case'), t('case.priority'), t('case.status'), t('case.sla'), t('case.remaining')],
                list.map((c) =>
                  h(
                    'tr',
                    { dataset: { case: c.name } },
                    h('td', {}, h('a', { href: `/cases/${idOf(c.name)}`, 'data-link': '' }, c.description?.slice(0, 60) || idOf(c.name))),
                    h('td', {}, tEnum(c.priority, 'PRIORITY_')),
                    h('td', {}, tEnum(c.status, 'CASE_STATUS_')),
                    h('td', {}, slaBadge(c.sla?.state)),
                    h('td', {}, formatDuration(c.sla?.remaining)),
                  ),
                ),
              )
            : empty('account.noCases');
        },
      ),
    terms: () =>
      terms.load(
        () => accounts.tradingTerms(name),
        (data) => {
          const list = (data.tradingTerms ?? []).filter((x) => x.status === 'TRADING_TERMS_STATUS_ACTIVE');
          return list.length
            ? table(
                [t('terms.priceList'), t('terms.validFrom'), t('terms.validUntil'), t('terms.paymentDays'), t('terms.discounts')],
                list.map((x) => h('tr', {}, h('td', {}, x.priceList ?? ''), h('td', {}, formatDate(x.validFrom)), h('td', {}, formatDate(x.validUntil) || '—'), h('td', {}, x.paymentNetDays ?? ''), h('td', {}, String((x.discountRules ?? []).length)))),
              )
            : empty('account.noTerms');
        },
      ),
    sales: () =>
      sales.load(
        () => pricing.sales(`account = "${name}"`),
        (data) => {
          const list = (data.sales ?? []).sort((a, b) => String(b.createTime).localeCompare(String(a.createTime))).slice(0, 10);
          return list.length
            ? table([t('sale.time'), t('sale.total'), t('sale.quote')], list.map((s) => h('tr', {}, h('td', {}, formatDateTime(s.createTime ?? s.saleTime)), h('td', {}, formatMoney(s.pricing?.total)), h('td', {}, s.quote ? idOf(s.quote) : '—'))))
            : empty();
        },
      ),
  };

  function addContactForm() {
    const form = h(
      'form',
      { class: 'subform', novalidate: true, 'aria-labelledby': 'add-contact-title', onsubmit: submit },
      h('h3', { id: 'add-contact-title' }, t('contact.add')),
      formBanner(),
      h(
        'div',
        { class: 'row' },
        field({ label: t('contact.givenName'), name: 'given_name' }),
        field({ label: t('contact.familyName'), name: 'family_name' }),
      ),
      h('div', { class: 'row' }, field({ label: t('contact.jobTitle'), name: 'job_title' }), field({ label: t('contact.role'), name: 'role', value: 'ACCOUNT_RELATION_ROLE_KEY_CONTACT', options: enumOptions(RELATION_ROLES, 'ACCOUNT_RELATION_ROLE_') })),
      h('div', { class: 'row' }, field({ label: t('contact.email'), name: 'emails', type: 'email' }), field({ label: t('contact.phone'), name: 'phones', type: 'tel', hint: t('contact.phoneHint') })),
      h('button', { type: 'submit', class: 'primary' }, t('contact.addButton')),
    );
    async function submit(e) {
      e.preventDefault();
      clearErrors(form);
      const v = formValues(form);
      const contact = {
        givenName: v.given_name,
        familyName: v.family_name,
        jobTitle: v.job_title,
        emails: v.emails ? [{ address: v.emails, primary: true }] : [],
        phones: v.phones ? [{ number: v.phones, primary: true }] : [],
      };
      try {
        const created = await contacts.create(contact);
        await contacts.relate(created.name, { account: name, roles: [v.role], isPrimary: false });
        replace(announcer, t('contact.added', { name: personName(created) }));
        await loaders.keyContacts();
        document.querySelector('#key-contacts h2')?.focus?.();
      } catch (err) {
        // Field paths of the contact are `emails[0].address`: their control is `emails`.
        showErrors(form, err);
      }
    }
    return form;
  }

  loadProfile();
  // Follow-ups are filtered by the key contacts, so they wait for them.
  for (const [key, load] of Object.entries(loaders)) {
    if (key === 'keyContacts') load().then(() => loaders.followUps());
    else if (key !== 'followUps') load();
  }

  // Roles other than admin and integration are sent notifications (type and subject, no
  // payload): every section re-reads what it shows, so the same code serves both.
  const stops = [
    subscribe('account', { subjectPrefix: name }, (ev) => {
      if (ev.subject === name && !profile.body.querySelector('form')) {
        loadProfile();
        replace(announcer, t('live.accountChanged'));
      } else if (ev.type?.includes('TeamMember')) loaders.team({ live: true });
      else if (ev.type?.includes('Need')) loaders.needs({ live: true });
    }),
    subscribe('contact', { typePrefix: 'accord.contact.v1.' }, (ev) => {
      // A relation of a contact not shown yet names no account without its payload: the list is
      // read again, quietly.
      const known = contactNames.some((c) => ev.subject?.startsWith(c));
      const relation = ev.type?.includes('Relation') && (ev.payload ? ev.payload.account === name : true);
      if (!known && !relation) return;
      loaders.keyContacts();
      loaders.interactions();
      if (known || ev.payload) replace(announcer, t('live.contactChanged'));
    }),
    subscribe('service-quality', { typePrefix: 'accord.quality.v1.' }, async (ev) => {
      const c = await caseFromEvent(ev);
      if (c?.account === name) loaders.cases();
    }),
  ];
  return () => stops.forEach((stop) => stop());
}

