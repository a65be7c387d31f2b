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
      link.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
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

  // Photos. A phone's photo is shrunk on the device before it is sent or queued: at most
  // PHOTO_SIDE pixels on its long side, re-encoded as JPEG, so a 4 MB camera file becomes a
  // few hundred kilobytes on a weak signal. Resolves with a data: URL.
  var PHOTO_SIDE = 1600;
  function resizePhoto(file) {
    return new Promise(function (done, failed) {
      if (!file || !/^image\//.test(file.type)) { failed({ message: t('photo.wrong_type') }); return; }
      var url = URL.createObjectURL(file);
      var image = new Image();
      image.onload = function () {
        var scale = Math.min(1, PHOTO_SIDE / Math.max(image.naturalWidth, image.naturalHeight, 1));
        var canvas = document.createElement('canvas');
        canvas.width = Math.max(1, Math.round(image.naturalWidth * scale));
        canvas.height = Math.max(1, Math.round(image.naturalHeight * scale));
        var context = canvas.getContext('2d');
        context.fillStyle = '#fff';
        context.fillRect(0, 0, canvas.width, canvas.height);
        context.drawImage(image, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        done(canvas.toDataURL('image/jpeg', 0.8));
      };
      image.onerror = function () { URL.revokeObjectURL(url); failed({ message: t('photo.unreadable') }); };
      image.src = url;
    });
  }
  function dataUrlBytes(dataUrl) {
    var comma = dataUrl.indexOf(',');
    var binary = atob(dataUrl.slice(comma + 1));
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return new Blob([bytes], { type: dataUrl.slice(5, dataUrl.indexOf(';')) });
  }
  // Fetches an appeal's photos (with the token, or the resident's secret) into a
  // container as images; a plain <img src> could not send the token.
  function showPhotos(container, number, secret) {
    var query = secret ? '?secret=' + encodeURIComponent(secret) : '';
    var headers = {};
    if (!secret && token()) headers['Authorization'] = 'Bearer ' + token();
    return api('GET', '/appeals/' + encodeURIComponent(number) + '/attachments' + query, null, { anonymous: !!secret }).then(function (list) {
      clear(container);
      list.forEach(function (photo, index) {
        var figure = el('figure', { class: 'photo' }, [el('figcaption', { class: 'hint', text: t('photo.caption') + ' ' + (index + 1) + ' · ' + time(photo.created_at) })]);
        container.appendChild(figure);
        fetch(photo.href + query, { headers: headers, credentials: 'omit' }).then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.blob();
        }).then(function (blob) {
          var img = el('img', { src: URL.createObjectURL(blob), alt: t('photo.alt') + ' ' + (index + 1), loading: 'lazy' });
          figure.insertBefore(img, figure.firstChild);
        }).catch(function () { figure.appendChild(el('p', { class: 'warn', text: t('photo.unreadable') })); });
      });
      return list;
    });
  }
  // Sends a photo (a data: URL) to an appeal. Resolves with the attachment.
  function uploadPhoto(number, dataUrl, secret) {
    var query = secret ? '?secret=' + encodeURIComponent(secret) : '';
    var blob = dataUrlBytes(dataUrl);
    return api('POST', '/appeals/' + encodeURIComponent(number) + '/attachments' + query, blob, { anonymous: !!secret, contentType: blob.type });
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
    downloadCsv: downloadCsv, resizePhoto: resizePhoto, showPhotos: showPhotos, uploadPhoto: uploadPhoto, county: function () { return document.body.getAttribute('data-county'); }
  };
})();
