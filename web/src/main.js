// The console's shell: header, role-aware menu, language switch, live-update status, and a
// history-API router (the gateway answers index.html for every non-/v1 path).
import { h, replace } from './lib/dom.js';
import { hasAny, session, signOut } from './lib/auth.js';
import { LANGUAGES, language, onLanguageChange, setLanguage, t } from './lib/i18n.js';
import { closeAll, onLiveStatus } from './lib/live.js';
import { navigate, setNavigator } from './lib/nav.js';
import { renderSignIn } from './pages/signin.js';
import { renderAccounts, renderAccountForm } from './pages/accounts.js';
import { renderAccount } from './pages/account.js';
import { renderCalls } from './pages/calls.js';
import { renderQuotes } from './pages/quotes.js';
import { renderDashboard } from './pages/dashboard.js';
import { renderCases, renderCase } from './pages/cases.js';

// Menu entries and who sees them (admin sees everything). What a role may do is decided by the
// services; the menu only hides what would be refused.
const MENU = [
  { path: '/accounts', label: 'nav.accounts', roles: ['account_manager', 'integration'] },
  { path: '/calls', label: 'nav.calls', roles: ['sales_assistant', 'account_manager'] },
  { path: '/quotes', label: 'nav.quotes', roles: ['sales_assistant', 'account_manager', 'pricing_manager'] },
  { path: '/cases', label: 'nav.cases', roles: ['service_supervisor', 'service_agent', 'account_manager'] },
  { path: '/dashboard', label: 'nav.dashboard', roles: ['service_supervisor'] },
];

const ROUTES = [
  { pattern: /^\/accounts\/new$/, menu: '/accounts', render: (el) => renderAccountForm(el) },
  { pattern: /^\/accounts\/([^/]+)$/, menu: '/accounts', render: (el, m) => renderAccount(el, `accounts/${m[1]}`) },
  { pattern: /^\/accounts$/, menu: '/accounts', render: (el) => renderAccounts(el) },
  { pattern: /^\/calls$/, menu: '/calls', render: (el) => renderCalls(el) },
  { pattern: /^\/quotes$/, menu: '/quotes', render: (el) => renderQuotes(el) },
  { pattern: /^\/cases\/([^/]+)$/, menu: '/cases', render: (el, m) => renderCase(el, `cases/${m[1]}`) },
  { pattern: /^\/cases$/, menu: '/cases', render: (el) => renderCases(el) },
  { pattern: /^\/dashboard$/, menu: '/dashboard', render: (el) => renderDashboard(el) },
];

const root = document.getElementById('app');
let cleanup = null;
let liveState = 'idle';

setNavigator((path, { replace: replaceState = false } = {}) => {
  if (replaceState) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render();
});

function allowedMenu() {
  return MENU.filter((m) => hasAny(...m.roles));
}

function header(active) {
  const s = session();
  const languageSelect = h(
    'select',
    { id: 'lang', onchange: (e) => setLanguage(e.target.value) },
    LANGUAGES.map((l) => h('option', { value: l.tag, selected: l.tag === language(), lang: l.tag }, l.label)),
  );
  return h(
    'header',
    { class: 'top' },
    h('a', { class: 'brand', href: '/', 'data-link': '' }, t('app.name')),
    s
      ? h(
          'nav',
          { 'aria-label': t('nav.label') },
          h(
            'ul',
            {},
            allowedMenu().map((m) =>
              h('li', {}, h('a', { href: m.path, 'data-link': '', 'aria-current': m.path === active ? 'page' : null }, t(m.label))),
            ),
          ),
        )
      : null,
    h(
      'div',
      { class: 'tools' },
      s ? h('span', { class: ['live', liveState], id: 'live-status', role: 'status' }, t(`live.${liveState}`)) : null,
      h('label', { for: 'lang', class: 'visually-hidden' }, t('nav.language')),
      languageSelect,
      s
        ? h(
            'span',
            { class: 'who' },
            h('span', { class: 'subject' }, s.subject),
            h('span', { class: 'roles' }, ` (${s.roles.map((r) => t(`role.${r}`)).join(', ')})`),
          )
        : null,
      s
        ? h('button', { type: 'button', onclick: () => { signOut(); closeAll(); navigate('/signin'); } }, t('nav.signOut'))
        : null,
    ),
  );
}

function render() {
  if (cleanup) {
    try {
      cleanup();
    } catch (err) {
      console.error(err);
    }
    cleanup = null;
  }
  const path = location.pathname.replace(/\/+$/, '') || '/';
  const main = h('main', { id: 'main', tabindex: '-1' });
  const skip = document.querySelector('.skip-link');
  if (skip) skip.textContent = t('nav.skip');
  if (!session()) {
    replace(root, header(null), main);
    if (path !== '/signin') history.replaceState(null, '', `/signin?next=${encodeURIComponent(location.pathname + location.search)}`);
    renderSignIn(main, () => {
      const next = new URLSearchParams(location.search).get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('/signin') ? next : '/', { replace: true });
    });
    return;
  }
  if (path === '/' || path === '/signin') {
    const first = allowedMenu()[0];
    if (first) {
      history.replaceState(null, '', first.path);
      render();
      return;
    }
  }
  const route = ROUTES.find((r) => r.pattern.test(path));
  const menu = route && MENU.find((m) => m.path === route.menu);
  replace(root, header(route?.menu), main);
  if (!route) {
    replace(main, h('h1', {}, t('page.notFound')));
  } else if (menu && !hasAny(...menu.roles)) {
    replace(main, h('h1', {}, t(menu.label)), h('p', { class: 'notice' }, t('page.notForRole')));
  } else {
    cleanup = route.render(main, path.match(route.pattern)) ?? null;
  }
  document.title = `${main.querySelector('h1')?.textContent ?? ''} · ${t('app.name')}`;
}

// Links with data-link navigate in place; modified clicks keep the browser's behaviour.
document.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-link]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(a.getAttribute('href'));
  document.getElementById('main')?.focus();
});
window.addEventListener('popstate', render);
onLanguageChange(render);
onLiveStatus((state) => {
  liveState = state;
  const el = document.getElementById('live-status');
  if (el) {
    el.className = `live ${state}`;
    el.textContent = t(`live.${state}`);
  }
});
render();
