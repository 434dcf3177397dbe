// The account's team members and needs, each listed with Edit, an edit form (FieldMask of what
// changed, the etag it was opened on; Remove from there) and a form to add one. Field violations
// appear at their field; a conflict keeps the edit and offers reload-and-retry (forms.js).
import { h, replace } from '../lib/dom.js';
import { t, tEnum } from '../lib/i18n.js';
import { attemptKeepingEdits, changedFields, enumOptions, field, formBanner } from '../lib/forms.js';
import { accounts } from '../lib/resources.js';
import { empty, table } from './common.js';

const TEAM_ROLES = ['TEAM_ROLE_OWNER', 'TEAM_ROLE_SALES', 'TEAM_ROLE_SERVICE', 'TEAM_ROLE_BILLING', 'TEAM_ROLE_TECHNICAL', 'TEAM_ROLE_EXECUTIVE_SPONSOR'];
const NEED_PRIORITIES = ['NEED_PRIORITY_LOW', 'NEED_PRIORITY_MEDIUM', 'NEED_PRIORITY_HIGH', 'NEED_PRIORITY_CRITICAL'];
const NEED_STATUSES = ['NEED_STATUS_OPEN', 'NEED_STATUS_PLANNED', 'NEED_STATUS_MET', 'NEED_STATUS_DROPPED'];

// What differs between team members and needs; the editing is the same.
const KINDS = {
  team: {
    collection: 'teamMembers',
    listKey: 'teamMembers',
    label: (m) => m.member,
    headers: () => [t('team.member'), t('team.role'), t('team.since'), t('team.until')],
    cells: (m) => [m.member, tEnum(m.role, 'TEAM_ROLE_'), m.startDate ?? '', m.endDate ?? ''],
    // [mask path, JSON name]: what UpdateTeamMember may change.
    updatable: [
      ['role', 'role'],
      ['start_date', 'startDate'],
      ['end_date', 'endDate'],
      ['note', 'note'],
    ],
    fields: (m) => [
      m ? null : field({ label: t('team.member'), name: 'member', required: true, hint: t('team.memberHint') }),
      field({ label: t('team.role'), name: 'role', value: m?.role ?? 'TEAM_ROLE_SALES', options: enumOptions(TEAM_ROLES, 'TEAM_ROLE_') }),
      h('div', { class: 'row' }, field({ label: t('team.since'), name: 'start_date', type: 'date', value: m?.startDate ?? '' }), field({ label: t('team.until'), name: 'end_date', type: 'date', value: m?.endDate ?? '' })),
      field({ label: t('team.note'), name: 'note', type: 'textarea', rows: 2, value: m?.note ?? '' }),
    ],
    titles: { add: 'team.add', edit: 'team.edit', added: 'team.added', removed: 'team.removed' },
  },
  needs: {
    collection: 'needs',
    listKey: 'needs',
    label: (n) => n.title,
    headers: () => [t('need.title'), t('need.priority'), t('need.status'), t('need.due')],
    cells: (n) => [n.title, tEnum(n.priority, 'NEED_PRIORITY_'), tEnum(n.status, 'NEED_STATUS_'), n.dueDate ?? ''],
    updatable: [
      ['title', 'title'],
      ['description', 'description'],
      ['priority', 'priority'],
      ['status', 'status'],
      ['due_date', 'dueDate'],
    ],
    fields: (n) => [
      field({ label: t('need.title'), name: 'title', value: n?.title ?? '', required: true }),
      field({ label: t('need.description'), name: 'description', type: 'textarea', rows: 2, value: n?.description ?? '' }),
      h(
        'div',
        { class: 'row' },
        field({ label: t('need.priority'), name: 'priority', value: n?.priority ?? 'NEED_PRIORITY_MEDIUM', options: enumOptions(NEED_PRIORITIES, 'NEED_PRIORITY_') }),
        n ? field({ label: t('need.status'), name: 'status', value: n.status, options: enumOptions(NEED_STATUSES, 'NEED_STATUS_') }) : null,
        field({ label: t('need.due'), name: 'due_date', type: 'date', value: n?.dueDate ?? '' }),
      ),
    ],
    titles: { add: 'need.add', edit: 'need.edit', added: 'need.added', removed: 'need.removed' },
  },
};

// Draws the list and the add form into `sec` (a section of common.js); `announce(text)` reports a
// change to screen readers. Returns the loader; `load({ live: true })` for a live update.
export function childEditor(kindName, sec, accountName, announce) {
  const kind = KINDS[kindName];
  const prefix = sec.el.id;

  // A live update waits while the user is in a form of the section (an edit open, or something
  // typed into the add form): redrawing would take their input away.
  function busy() {
    if (sec.body.querySelector('form[data-editing]')) return true;
    return [...sec.body.querySelectorAll('form [data-field]')].some((el) => el.tagName !== 'SELECT' && el.value !== '');
  }

  function load({ live = false } = {}) {
    if (live && busy()) return Promise.resolve();
    return sec.load(() => accounts.children(accountName, kind.collection), (data) => listView(data[kind.listKey] ?? []));
  }

  function listView(list) {
    return [
      list.length
        ? table(
            [...kind.headers(), t('common.actions')],
            list.map((item) =>
              h(
                'tr',
                { dataset: { name: item.name } },
                kind.cells(item).map((c) => h('td', {}, c)),
                h('td', {}, h('button', { type: 'button', class: 'link', 'aria-label': t('common.editItem', { item: kind.label(item) }), onclick: () => edit(item) }, t('common.edit'))),
              ),
            ),
          )
        : empty(),
      addForm(),
    ];
  }

  function addForm() {
    const titleId = `${prefix}-add-title`;
    const form = h(
      'form',
      { class: 'subform', novalidate: true, 'aria-labelledby': titleId, onsubmit: submit },
      h('h3', { id: titleId }, t(kind.titles.add)),
      formBanner(),
      kind.fields(null),
      h('button', { type: 'submit', class: 'primary' }, t(kind.titles.add)),
    );
    async function submit(e) {
      e.preventDefault();
      const values = Object.fromEntries([...form.querySelectorAll('[data-field]')].map((el) => [el.dataset.field, el.value.trim()]));
      const body = {};
      for (const [path, value] of Object.entries(values)) if (value !== '') body[path.replace(/_([a-z])/g, (m, c) => c.toUpperCase())] = value;
      const created = await attemptKeepingEdits(form, undefined, () => accounts.createChild(accountName, kind.collection, body), async () => undefined);
      if (!created) return;
      announce(t(kind.titles.added, { name: kind.label(created) }));
      await load();
      sec.body.querySelector(`tr[data-name="${CSS.escape(created.name)}"] button`)?.focus();
    }
    return form;
  }

  function edit(item) {
    const titleId = `${prefix}-edit-title`;
    const form = h(
      'form',
      { class: 'subform', novalidate: true, 'aria-labelledby': titleId, dataset: { editing: item.name }, onsubmit: (e) => { e.preventDefault(); save(); } },
      h('h3', { id: titleId, tabindex: '-1' }, t(kind.titles.edit, { name: kind.label(item) })),
      formBanner(),
      h('div', { class: 'conflict-slot' }),
      kind.fields(item),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'submit', class: 'primary' }, t('common.save')),
        h('button', { type: 'button', onclick: () => load() }, t('common.cancel')),
        h('button', { type: 'button', class: 'danger', dataset: { action: 'remove' }, onclick: () => remove() }, t('common.remove')),
      ),
    );
    // Both start from the etag the form was opened on; a retry takes the newest one.
    let etag = item.etag;
    const reload = async () => {
      etag = (await accounts.get(item.name)).etag;
      return etag;
    };
    // Each attempt finishes its own success, so a retry after a conflict does too.
    async function save() {
      const { body, paths } = changedFields(form, item, kind.updatable);
      if (paths.length === 0) return load();
      return attemptKeepingEdits(
        form,
        etag,
        async (current) => {
          await accounts.updateChild(body, paths, current);
          announce(t('common.saved'));
          await load();
          return true;
        },
        reload,
      );
    }
    async function remove() {
      return attemptKeepingEdits(
        form,
        etag,
        async (current) => {
          await accounts.deleteChild(item.name, current);
          announce(t(kind.titles.removed, { name: kind.label(item) }));
          await load();
          return true;
        },
        reload,
      );
    }
    replace(sec.body, form);
    form.querySelector('h3').focus();
  }

  return load;
}
