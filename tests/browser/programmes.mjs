// The programmes in Debian's headless Chromium (playwright-core).
//
// Starts `minqing serve --demo` on a free port with a temporary data directory and
// creates everything it needs itself (it does not rely on programme demo data, and does
// not mind if there is some): a county leader publishes a challenge list, a department
// claims a problem, reports a milestone and submits, the leader scores it and the public
// page shows it; a grid worker orders a service for a resident, the community places it
// with its team, takes and delivers it, and the resident rates it on the public order page;
// points granted show on a monthly statement; a ledger task is checked off with
// evidence; an activity and its attendance are recorded; a dispute is registered from an
// appeal; the dashboard's programmes section counts it all. Every programme page and tab
// is checked with axe-core (no serious or critical violations) and photographed.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const binary = process.env.MINQING_BIN || join(root, 'target', 'debug', 'minqing');
// Screenshots go to a temporary folder; set MINQING_SCREENSHOTS=docs/screenshots to refresh the README's.
const shots = resolve(process.env.MINQING_SCREENSHOTS || join(tmpdir(), 'minqing-screenshots'));
const axeSource = readFileSync(join(here, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const PASSWORD = 'minqing-demo';
mkdirSync(shots, { recursive: true });

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => { const { port } = server.address(); server.close(() => done(port)); });
    server.on('error', fail);
  });
}

function check(condition, message) {
  if (!condition) throw new Error('FAILED: ' + message);
  console.log('ok - ' + message);
}

async function startServer(extra = []) {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'minqing-browser-'));
  const child = spawn(binary, ['serve', '--demo', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: 'warn' },
  });
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  const base = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) throw new Error('the server stopped:\n' + output);
    try {
      const response = await fetch(base + '/healthz');
      if (response.ok && output.includes('listening')) return { base, child, dataDir };
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the server did not start:\n' + output);
}

async function axe(page, name) {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
  const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const violation of serious) {
    console.log(`  axe ${name}: ${violation.id} (${violation.impact}): ${violation.help} — ${violation.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  }
  check(serious.length === 0, `${name} has no serious accessibility violations`);
}

async function shot(page, name, fullPage = true) {
  await page.screenshot({ path: join(shots, name + '.png'), fullPage });
}

async function signIn(page, base, username) {
  await page.goto(base + '/staff/login');
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(base + '/staff'), page.click('#login-form button[type=submit]')]);
}

function clearStatus(page) {
  return page.evaluate(() => { const box = document.getElementById('status'); box.className = 'status'; box.textContent = ''; });
}

async function settled(page, what) {
  await page.waitForFunction(() => { const s = document.getElementById('status'); return s.classList.contains('ok') || s.classList.contains('error'); });
  const status = (await page.textContent('#status')).trim();
  check(await page.evaluate(() => document.getElementById('status').classList.contains('ok')), `${what} (${status})`);
}

// Submits a form on the programmes page and waits for its answer.
async function submit(page, formId, what) {
  await clearStatus(page);
  await page.click(`#${formId} button[type=submit]`);
  await settled(page, what);
}

// Takes an action on the work item page, as e2e.mjs does on the appeal page.
async function act(page, action, fill) {
  await page.waitForSelector(`#w-action-buttons button[data-action="${action}"]`);
  await page.click(`#w-action-buttons button[data-action="${action}"]`);
  if (fill) await fill();
  await clearStatus(page);
  await page.click('#w-action-form button[type=submit]');
  await settled(page, `${action} is done on the work item`);
}

async function tab(page, name) {
  await page.click(`.tabs [data-tab="${name}"]`);
  await page.waitForSelector(`#tab-${name}:not([hidden])`);
  await page.waitForLoadState('networkidle');
}

async function workStatus(page) {
  return (await page.textContent('#w-status')).trim();
}

function chinaDate(daysAhead) {
  const at = new Date(Date.now() + 8 * 3600 * 1000 + daysAhead * 86400 * 1000);
  return at.toISOString().slice(0, 10);
}

function chinaDateTime(minutesAhead) {
  const at = new Date(Date.now() + 8 * 3600 * 1000 + minutesAhead * 60 * 1000);
  return at.toISOString().slice(0, 16);
}

const { base, child, dataDir } = await startServer();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
let failed = false;
const stamp = Date.now().toString(36).slice(-5);
try {
  const desk = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', bypassCSP: true, acceptDownloads: true });
  const watch = (page) => { page.on('pageerror', (error) => { console.log('page error: ' + error.message); failed = true; }); return page; };

  // 1. A county leader publishes a challenge list with two problems.
  const leader = watch(await desk.newPage());
  await signIn(leader, base, 'leader');
  check((await leader.$$('a[href="/staff/programmes"]')).length === 1, 'the staff menu has the programmes');
  await leader.goto(base + '/staff/programmes');
  await leader.waitForSelector('#tab-challenges:not([hidden])');
  await leader.waitForLoadState('networkidle');
  await axe(leader, 'programmes: challenge lists');
  const listTitle = `老旧小区改造揭榜挂帅 ${stamp}`;
  const problemTitle = `加装电梯 ${stamp}`;
  await leader.fill('#ch-title', listTitle);
  await leader.fill('#ch-description', '县委发布，欢迎各单位揭榜。');
  await leader.fill('#ch-due', chinaDate(45));
  await leader.fill('#ch-p1-title', problemTitle);
  await leader.fill('#ch-p1-goal', '年底前完成两个老旧小区加装电梯。');
  await leader.fill('#ch-p1-criteria', '电梯验收合格并投入使用。');
  await leader.click('#ch-add');
  await leader.fill('#ch-p2-title', `背街小巷照明 ${stamp}`);
  await leader.fill('#ch-p2-goal', '补齐背街小巷路灯。');
  await leader.fill('#ch-p2-criteria', '路灯全部点亮。');
  await submit(leader, 'ch-form', 'the leader publishes a challenge list');
  const problemLink = leader.locator('#ch-lists tr', { hasText: problemTitle }).locator('a.mono');
  const problem = (await problemLink.textContent()).trim();
  check(/^JB-\d{8}-\d{4,}$/.test(problem), `the problem has a number (${problem})`);
  await shot(leader, 'programmes-challenges-desktop');

  // 2. The housing department claims it, names its leader, reports a milestone and submits.
  const department = watch(await desk.newPage());
  await signIn(department, base, 'zhujian');
  await department.goto(base + '/staff/work/' + problem);
  await department.waitForSelector('#w-action-buttons button');
  const offered = await department.$$eval('#w-action-buttons button', (buttons) => buttons.map((b) => b.dataset.action));
  check(offered.join(',') === 'claim', `an open problem offers a department only to claim it (${offered.join(', ')})`);
  await axe(department, 'work item');
  await act(department, 'claim', async () => {
    check(await department.$eval('#wf-lead', (select) => select.options[select.selectedIndex].textContent.includes('住房和城乡建设局')), 'the claiming unit is the department itself by default');
    await department.fill('#wf-person', '住建局局长');
  });
  check((await workStatus(department)) === '已揭榜', 'the problem is claimed');
  await act(department, 'report_milestone', async () => {
    await department.fill('#wf-reason', '第一个小区电梯已完成井道施工。');
    await department.fill('#wf-evidence', '井道验收照片.jpg\nhttps://example.invalid/report-1.pdf');
  });
  check((await department.textContent('#w-events')).includes('井道验收照片.jpg'), 'the milestone keeps its evidence in the history');
  await act(department, 'submit', async () => { await department.fill('#wf-reason', '两个小区电梯均已验收投入使用。'); });
  check((await workStatus(department)) === '待评估', 'the outcome is submitted for assessment');
  await shot(department, 'work-item-desktop');

  // 3. The committee scores it; the claimants' table shows the department.
  await leader.goto(base + '/staff/work/' + problem);
  await act(leader, 'assess', async () => {
    await leader.fill('#wf-score', '92.5');
    await leader.fill('#wf-reason', '按期高质量完成。');
  });
  check((await workStatus(leader)) === '已评估', 'the committee assessed and scored the problem');
  check((await leader.$$('#w-action-buttons button')).length === 0, 'nothing more is offered on an assessed problem');
  await leader.goto(base + '/staff/programmes#challenges');
  await leader.waitForSelector('#ch-claimants-card:not([hidden]) tbody tr');
  const claimants = await leader.textContent('#ch-claimants');
  check(claimants.includes('住房和城乡建设局') && claimants.includes('92.5'), 'the committee sees who claimed what and the score');

  // 4. The public page shows the list and its progress, without personal data.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN', bypassCSP: true });
  const visitor = watch(await phone.newPage());
  await visitor.goto(base + '/board');
  await visitor.click('a[href="/programmes/challenges"] >> nth=-1');
  await visitor.waitForURL(base + '/programmes/challenges');
  await visitor.waitForSelector('#pub-lists section');
  const publicText = await visitor.textContent('#pub-lists');
  check(publicText.includes(listTitle) && publicText.includes(problemTitle) && publicText.includes('92.5') && publicText.includes('已评估'), 'the public page shows the list, the problem, its status and score');
  check(!publicText.includes('住建局局长') && !publicText.includes('井道施工'), 'the public page shows no person and no report text');
  await shot(visitor, 'challenges-phone');
  await axe(visitor, 'public challenge lists');

  // 5. A grid worker orders a service for a resident; the community places it, takes and
  //    delivers it; the resident follows it on a phone with the number and code, and rates it.
  const grid = watch(await desk.newPage());
  await signIn(grid, base, 'wanggeyuan');
  await grid.goto(base + '/staff/programmes#orders');
  await grid.waitForSelector('#tab-orders:not([hidden])');
  await grid.waitForFunction(() => document.getElementById('p-village').value.length === 12);
  await grid.waitForLoadState('networkidle');
  await grid.fill('#cat-code', 'escort_' + stamp);
  await grid.fill('#cat-name', `陪同就医 ${stamp}`);
  await grid.fill('#cat-hours', '3');
  await submit(grid, 'cat-form', 'the community adds a service to its catalogue');
  await grid.selectOption('#or-service', 'escort_' + stamp);
  await grid.fill('#or-name', '李奶奶');
  await grid.fill('#or-phone', '13900001111');
  await grid.fill('#or-address', '广元堡社区3栋2单元');
  await grid.fill('#or-note', '周五上午去县医院复查，需要有人陪同。');
  await grid.fill('#or-end', chinaDateTime(24 * 60));
  await submit(grid, 'or-form', 'the grid worker orders a service for a resident');
  const order = (await grid.textContent('#or-receipt a.mono')).trim();
  const orderSecret = (await grid.textContent('#or-secret')).trim();
  check(/^FW-\d{8}-\d{4,}$/.test(order) && (await grid.textContent('#or-secret')).trim().length > 0, `the order has a number (${order}) and a secret for the resident`);
  await grid.waitForSelector(`#or-list a[href="/staff/work/${order}"]`);
  await shot(grid, 'programmes-orders-desktop');
  await axe(grid, 'programmes: service orders');

  const community = watch(await desk.newPage());
  await signIn(community, base, 'guangyuanbao');
  await community.goto(base + '/staff/work/' + order);
  await act(community, 'place', async () => {
    check(await community.$eval('#wf-lead', (select) => select.options[select.selectedIndex].textContent.includes('广元堡')), 'the community places the order with its own team by default');
  });
  await act(community, 'take');
  check((await workStatus(community)) === '已接单', 'a team member took the order');
  await act(community, 'deliver', async () => { await community.fill('#wf-reason', '已陪同李奶奶完成复查并送回家。'); });
  const orderPhone = watch(await phone.newPage());
  await orderPhone.goto(base + '/orders#' + order);
  await orderPhone.fill('#o-secret', 'WRONG1');
  await orderPhone.click('#order-form button[type=submit]');
  await orderPhone.waitForFunction(() => document.getElementById('status').classList.contains('error'));
  check(await orderPhone.$eval('#o-result', (box) => box.hidden), 'a wrong code shows nothing of the order');
  await orderPhone.fill('#o-secret', orderSecret);
  await orderPhone.click('#order-form button[type=submit]');
  await orderPhone.waitForSelector('#o-rate-form:not([hidden])');
  const seen = await orderPhone.textContent('#o-result');
  check(seen.includes('周五上午去县医院复查') && !seen.includes('13900001111'), 'the resident sees the order and its state, and no phone number');
  await orderPhone.check('#o-rate-form input[name=stars][value="5"]');
  await orderPhone.fill('#o-comment', '李奶奶很满意。');
  await orderPhone.click('#o-rate-form button[type=submit]');
  await orderPhone.waitForSelector('#o-rating:not([hidden])');
  check((await orderPhone.textContent('#o-rating')).includes('5'), 'the resident rated the delivered order');
  await shot(orderPhone, 'order-rated-phone');
  await axe(orderPhone, 'order (resident)');
  await grid.goto(base + '/staff/work/' + order);
  await grid.waitForFunction(() => { const box = document.getElementById('w-status'); return box && box.textContent.trim().length > 0; });
  check((await workStatus(grid)) === '已评价', 'the order went through to rated');
  await grid.goto(base + '/staff/programmes#orders');
  await grid.waitForSelector('#or-circle .tile');
  await grid.waitForLoadState('networkidle');
  const circle = await grid.textContent('#or-circle');
  check(circle.includes('按时接单'), 'the community sees its 10-minute service circle record');

  // 6. Points: a rule, points granted to a resident, the monthly statement shows them.
  await community.goto(base + '/staff/programmes#points');
  await community.waitForSelector('#tab-points:not([hidden])');
  await community.waitForLoadState('networkidle');
  await community.fill('#rule-code', 'patrol_' + stamp);
  await community.fill('#rule-label', '治安巡逻一次');
  await community.selectOption('#rule-direction', 'earn');
  await community.fill('#rule-points', '5');
  await submit(community, 'rule-form', 'the community sets an earning rule');
  await community.fill('#earn-name', '赵大伯');
  await community.fill('#earn-phone', '13900002222');
  await community.selectOption('#earn-rule', 'patrol_' + stamp);
  await community.fill('#earn-quantity', '2');
  await community.fill('#earn-reason', '参加周末治安巡逻两次');
  await submit(community, 'earn-form', 'points are granted under the rule');
  await community.waitForSelector('#pt-accounts tr:has-text("赵大伯")');
  await community.locator('#pt-accounts tr', { hasText: '赵大伯' }).locator('button').click();
  await community.waitForSelector('#stmt-lines tbody tr');
  const statement = await community.textContent('#stmt-out');
  check(statement.includes('+10') && statement.includes('获得 10'), 'the points earned show on the monthly statement');
  await shot(community, 'programmes-points-desktop');
  await axe(community, 'programmes: points');

  // 7. Meetings: an activity is recorded with its attendance.
  await tab(community, 'meetings');
  await community.fill('#act-kind', '主题党日');
  await community.fill('#act-title', `学习交流 ${stamp}`);
  await community.fill('#act-place', '社区党群服务中心');
  await community.fill('#act-held', chinaDateTime(-60));
  await submit(community, 'act-form', 'an activity is recorded');
  await community.waitForSelector('#mt-detail:not([hidden])');
  await community.fill('#att-people', '赵大伯 13900002222 群众\n钱阿姨 13900003333 党员');
  await submit(community, 'att-form', 'attendance is recorded');
  await community.waitForSelector('#mt-attendees tbody tr:nth-child(2)');
  check((await community.textContent('#mt-attendees')).includes('钱阿姨'), 'the attendees are listed');
  await axe(community, 'programmes: meetings');

  // 8. A task ledger: the leader opens it, the department checks its task off with evidence.
  await leader.goto(base + '/staff/programmes#ledgers');
  await leader.waitForSelector('#tab-ledgers:not([hidden])');
  await leader.waitForLoadState('networkidle');
  await leader.fill('#lg-title', `冬季安全生产台账 ${stamp}`);
  await leader.fill('#lg-t1-title', '排查老旧小区燃气管道');
  const housingUnit = await leader.$$eval('#lg-t1-unit option', (options) => options.find((o) => o.textContent.includes('住房和城乡建设局')).value);
  await leader.selectOption('#lg-t1-unit', housingUnit);
  await leader.fill('#lg-t1-due', chinaDate(20));
  await submit(leader, 'lg-form', 'the leader opens a task ledger');
  await leader.waitForSelector('#lg-detail:not([hidden]) #lg-tasks a.mono');
  const task = (await leader.textContent('#lg-tasks a.mono')).trim();
  await department.goto(base + '/staff/work/' + task);
  await act(department, 'check_off', async () => {
    await department.fill('#wf-reason', '已排查全部燃气管道，隐患已整改。');
    await department.fill('#wf-evidence', '排查记录表.xlsx');
  });
  check((await workStatus(department)) === '已销号', 'the ledger task is checked off');
  await leader.reload();
  await leader.waitForSelector('#tab-ledgers:not([hidden]) #lg-list tbody tr');
  await leader.waitForLoadState('networkidle');
  await leader.locator('#lg-list tr', { hasText: `冬季安全生产台账 ${stamp}` }).locator('button').click();
  await leader.waitForSelector('#lg-chart svg');
  await leader.waitForFunction(() => document.getElementById('lg-tasks').textContent.includes('已销号'), null, { timeout: 10000 }).catch(() => {});
  check((await leader.textContent('#lg-tasks')).includes('已销号'), 'the ledger shows the task checked off');
  check((await leader.textContent('#lg-progress')).includes('住房和城乡建设局'), 'the monthly comparison has a row for the unit');
  await shot(leader, 'programmes-ledgers-desktop');
  await axe(leader, 'programmes: task ledgers');

  // 9. A dispute is registered from an appeal ("转调解").
  const appealNumber = await leader.evaluate(() => MQ.api('GET', '/appeals?queue=all&status=open&limit=1').then((page) => page.items[0].number));
  await leader.goto(base + '/staff/appeals/' + appealNumber);
  await leader.waitForSelector('#d-to-mediation');
  await leader.click('#d-to-mediation');
  await leader.waitForSelector('#tab-disputes:not([hidden])');
  check((await leader.inputValue('#dp-appeal')) === appealNumber, 'the appeal number is filled in from the appeal page');
  await leader.fill('#dp-title', '邻里排水纠纷');
  await leader.fill('#dp-summary', '楼上改造卫生间导致楼下渗水，双方协商未果。');
  await leader.fill('#dp-p1-name', '孙先生');
  await leader.fill('#dp-p2-name', '周女士');
  await submit(leader, 'dp-form', 'a dispute is registered from the appeal');
  await leader.waitForSelector('#dp-list a.mono');
  await axe(leader, 'programmes: mediation');

  // 10. The dashboard counts the programmes, and they download as CSV.
  await leader.goto(base + '/staff/dashboard');
  await leader.waitForSelector('#programmes-table tbody tr', { state: 'attached' });
  await leader.waitForSelector('#programme-tiles .tile');
  const counts = await leader.$$eval('#programmes-table tbody tr', (rows) => Object.fromEntries(rows.map((row) => [row.cells[0].textContent, Number(row.cells[1].textContent)])));
  check(counts['已评估问题'] >= 1 && counts['已揭榜问题'] >= 1, `the dashboard counts challenge problems claimed and assessed (${counts['已揭榜问题']}, ${counts['已评估问题']})`);
  check(counts['按时接单'] >= 1 || counts['已接单'] >= 1, 'the dashboard counts orders taken');
  check(counts['发放积分'] >= 10 && counts['已销号任务'] >= 1 && counts['矛盾纠纷'] >= 1, 'the dashboard counts points issued, ledger tasks checked off and disputes');
  const [download] = await Promise.all([leader.waitForEvent('download'), leader.click('button.csv[data-csv="programmes"]')]);
  check(readFileSync(await download.path(), 'utf8').includes('challenges_assessed'), 'the programmes section downloads as CSV');
  await axe(leader, 'dashboard with programmes');

  // 11. Every tab on a phone passes axe; one picture of the orders on a phone.
  const phoneStaff = watch(await phone.newPage());
  await signIn(phoneStaff, base, 'guangyuanbao');
  await phoneStaff.goto(base + '/staff/programmes#orders');
  await phoneStaff.waitForSelector('#or-list tbody tr');
  await phoneStaff.waitForLoadState('networkidle');
  await shot(phoneStaff, 'programmes-orders-phone');
  for (const name of ['challenges', 'orders', 'points', 'meetings', 'ledgers', 'disputes']) {
    await tab(phoneStaff, name);
    await axe(phoneStaff, `programmes on a phone: ${name}`);
  }
  check(!failed, 'no page raised a script error');
} catch (error) {
  console.error(error);
  failed = true;
} finally {
  await browser.close();
  child.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
}
if (failed) { console.error('programme browser tests FAILED'); process.exit(1); }
console.log('programme browser tests passed');
