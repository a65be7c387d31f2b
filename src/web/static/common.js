// Shared helpers of every page: texts, the API, the signed-in user, small DOM builders.
// Our own code, no framework. The DOM is built with textContent, never from HTML strings.
'use strict';
window.MQ = (function () {
  var texts = window.MQ_TEXTS || {};
  var TOKEN_KEY = 'mq_token';
  var ME_KEY = 'mq_me';

  function t(key) { return Object.prototype.hasOwnProperty.call(texts, key) ? texts[key] : key; }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var value = attrs[name];
        if (value === null || value === undefined || value === false) return;
        if (name === 'text') node.textContent = value;
        else if (name === 'class') node.className = value;
        else if (name.indexOf('on') === 0) node.addEventListener(name.slice(2), value);
        else node.setAttribute(name, value === true ? '' : value);
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function $(id) { return document.getElementById(id); }

  function say(message, kind) {
    var box = $('status');
    if (!box) return;
    box.textContent = message || '';
    box.className = 'status' + (kind ? ' ' + kind : '');
  }

  function token() { try { return sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; } }
  function me() { try { return JSON.parse(sessionStorage.getItem(ME_KEY) || 'null'); } catch (e) { return null; } }
  function signIn(answer) {
    sessionStorage.setItem(TOKEN_KEY, answer.token);
    sessionStorage.setItem(ME_KEY, JSON.stringify(answer.me));
  }
  function signOut() {
    try { sessionStorage.removeItem(TOKEN_KEY); sessionStorage.removeItem(ME_KEY); } catch (e) { /* nothing kept */ }
    location.href = '/staff/login';
  }
  function requireStaff() {
    if (!token()) {
      location.replace('/staff/login?next=' + encodeURIComponent(location.pathname + location.search));
      return false;
    }
    return true;
  }

  // Calls the JSON API. Resolves with the parsed body; rejects with
  // {status, code, message, field} (status 0 when the network failed).
  function api(method, path, body, options) {
    options = options || {};
    var headers = { 'Accept': 'application/json' };
    // A raw body (a file's text or bytes) goes as it is, with its own content type.
    var raw = options.contentType !== undefined;
    if (body !== undefined && body !== null) headers['Content-Type'] = raw ? options.contentType : 'application/json';
    var bearer = options.anonymous ? null : token();
    if (bearer) headers['Authorization'] = 'Bearer ' + bearer;
    if (options.idempotencyKey) headers['Idempotency-Key'] = options.idempotencyKey;
    return fetch('/api/v1' + path, {
      method: method,
      headers: headers,
      body: body === undefined || body === null ? undefined : (raw ? body : JSON.stringify(body)),
      credentials: 'omit',
      cache: 'no-store'
    }).then(function (response) {
      var type = response.headers.get('content-type') || '';
      var read = type.indexOf('json') >= 0 ? response.json() : response.text();
      return read.then(function (data) {
        if (response.ok) return options.raw ? { data: data, response: response } : data;
        var error = (data && data.error) || {};
        if (response.status === 401 && bearer) {
          say(t('err.session'), 'error');
          setTimeout(signOut, 1200);
        }
        return Promise.reject({ status: response.status, code: error.code || 'http_' + response.status, message: error.message || String(response.status), field: error.field });
      });
    }, function () {
      return Promise.reject({ status: 0, code: 'network', message: t('err.network') });
    });
  }

  // Downloads a CSV from the API with the bearer token (a plain link cannot send it).
  function downloadCsv(path, fileName) {
    var headers = {};
    if (token()) headers['Authorization'] = 'Bearer ' + token();
    return fetch('/api/v1' + path, { headers: headers, credentials: 'omit' }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.blob();
    }).then(function (blob) {
      var url = URL.createObjectURL(blob);
      var link = el('a', { href: url, download: fileName });
      document.body.appendChild(link);
      link.click();
      setTimeout(function () { URL.revokeObjectURL(url); link.remove(); }, 1000);
    }).catch(function (error) { say(t('err.generic') + error.message, 'error'); });
  }

  function pad(n) { return n < 10 ? '0' + n : String(n); }
  // Shows an RFC 3339 time in China time as YYYY-MM-DD HH:MM.
  function time(text) {
    if (!text) return t('common.dash');
    var at = new Date(text);
    if (isNaN(at.getTime())) return text;
    var china = new Date(at.getTime() + 8 * 3600 * 1000);
    return china.getUTCFullYear() + '-' + pad(china.getUTCMonth() + 1) + '-' + pad(china.getUTCDate()) + ' ' + pad(china.getUTCHours()) + ':' + pad(china.getUTCMinutes());
  }
  function percent(value) { return value === null || value === undefined ? t('common.dash') : (value * 100).toFixed(1) + '%'; }
  function thisMonth() { var china = new Date(Date.now() + 8 * 3600 * 1000); return china.getUTCFullYear() + '-' + pad(china.getUTCMonth() + 1); }

  // A random key made on this device (works without a secure context too).
  function randomKey() {
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b < 16 ? '0' : '') + b.toString(16); }).join('');
  }

  function tierBadge(tier) { return el('span', { class: 'tier tier-' + tier, text: t('tier.' + tier) }); }
  function statusBadge(status) { return el('span', { class: 'badge status-' + status, text: t('status.' + status) }); }

  // Fills a township select from the county and a village select from the township.
  function regionPickers(county, townshipSelect, villageSelect) {
    return api('GET', '/regions/' + county, null, { anonymous: true }).then(function (region) {
      region.children.forEach(function (child) { townshipSelect.appendChild(el('option', { value: child.code, text: child.name })); });
      townshipSelect.addEventListener('change', function () {
        clear(villageSelect).appendChild(el('option', { value: '', text: t('portal.choose') }));
        villageSelect.disabled = true;
        if (!townshipSelect.value) return;
        api('GET', '/regions/' + townshipSelect.value, null, { anonymous: true }).then(function (township) {
          township.children.forEach(function (child) { villageSelect.appendChild(el('option', { value: child.code, text: child.name })); });
          villageSelect.disabled = false;
        });
      });
    });
  }

  function pressTabs(container, attribute, onChoose) {
    var tabs = container.querySelectorAll('[' + attribute + ']');
    Array.prototype.forEach.call(tabs, function (tab) {
      tab.addEventListener('click', function () {
        Array.prototype.forEach.call(tabs, function (other) { other.setAttribute('aria-pressed', other === tab ? 'true' : 'false'); });
        onChoose(tab.getAttribute(attribute));
      });
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var out = $('sign-out');
    if (out) out.addEventListener('click', signOut);
    var admin = $('nav-admin');
    var who = me();
    if (admin && who && who.roles && who.roles.indexOf('admin') >= 0) admin.hidden = false;
  });

  return {
    t: t, el: el, clear: clear, $: $, say: say, api: api, token: token, me: me, signIn: signIn, signOut: signOut,
    requireStaff: requireStaff, time: time, percent: percent, thisMonth: thisMonth, randomKey: randomKey,
    tierBadge: tierBadge, statusBadge: statusBadge, regionPickers: regionPickers, pressTabs: pressTabs,
    downloadCsv: downloadCsv, county: function () { return document.body.getAttribute('data-county'); }
  };
})();
