// Headless Debian chromium through puppeteer-core, with the checks every scenario makes: a
// screenshot per step under the test's output folder, and axe-core on each page (no serious or
// critical violation).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export async function launchBrowser() {
  return puppeteer.launch({
    executablePath: process.env.ACCORD_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--lang=en-US', '--window-size=1280,900'],
  });
}

export class Session {
  constructor(browser, context, page, { baseUrl, outDir }) {
    this.browser = browser;
    this.context = context;
    this.page = page;
    this.baseUrl = baseUrl;
    this.outDir = outDir;
    this.consoleErrors = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') this.consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => this.consoleErrors.push(String(err)));
  }

  static async open(browser, opts) {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    page.setDefaultTimeout(15000);
    return new Session(browser, context, page, opts);
  }

  async goto(pathname) {
    // 'load', not network idle: pages with live updates keep event streams open.
    await this.page.goto(`${this.baseUrl}${pathname}`, { waitUntil: 'load' });
  }

  async signIn(token) {
    await this.goto('/signin');
    await this.page.waitForSelector('[data-field=token]');
    await this.page.$eval('[data-field=token]', (el, value) => { el.value = value; }, token);
    await this.page.click('form button[type=submit]');
    await this.page.waitForSelector('header nav');
  }

  async screenshot(name) {
    const dir = path.join(this.outDir, 'screenshots');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${name}.png`);
    await this.page.screenshot({ path: file, fullPage: true });
    return file;
  }

  // axe-core over the whole page; returns the serious and critical violations (and writes all of
  // them next to the screenshots).
  async axe(name) {
    if (!(await this.page.evaluate(() => typeof window.axe !== 'undefined'))) {
      // Through the DevTools protocol, which the page's Content-Security-Policy does not govern (a
      // <script> tag would be refused, as it should be).
      await this.page.evaluate(AXE_SOURCE);
    }
    const result = await this.page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
    });
    const dir = path.join(this.outDir, 'axe');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(result, null, 2));
    return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  }

  // What the browser refused under the page's Content-Security-Policy.
  cspViolations() {
    return this.consoleErrors.filter((text) => /Content Security Policy/i.test(text));
  }

  text(selector) {
    return this.page.$eval(selector, (el) => el.textContent.trim());
  }

  async waitForText(selector, text, timeout = 15000) {
    await this.page.waitForFunction(
      (sel, expected) => [...document.querySelectorAll(sel)].some((el) => el.textContent.includes(expected)),
      { timeout },
      selector,
      text,
    );
  }

  async type(selector, value) {
    await this.page.$eval(selector, (el) => { el.value = ''; });
    await this.page.type(selector, value);
  }

  async close() {
    await this.context.close();
  }
}
