// The public portal: raise an appeal. A submission is first written to this device's
// outbox (localStorage) with a key made here, then sent with that key as the
// Idempotency-Key; it leaves the outbox only when the server has answered. A retry
// after a lost answer gets the first answer back, so each appeal is taken in once.
// A photo is shrunk on the phone and queued with the submission; once the appeal is
// taken in, its receipt is written into the queued item and the photo is sent with the
// appeal's secret. The server stores the same bytes once, so a retried upload is harmless.
'use strict';
(function () {
  var OUTBOX = 'mq_outbox';
  var RECEIPTS = 'mq_receipts';
  var place = { mode: 'village', lng: null, lat: null };
  var flushing = false;
  var waitingKey = null;
  var photo = null;

  function load(name) { try { return JSON.parse(localStorage.getItem(name) || '[]'); } catch (e) { return []; } }
  function save(name, list) { localStorage.setItem(name, JSON.stringify(list)); }
  function update(key, change) {
    save(OUTBOX, load(OUTBOX).map(function (item) { if (item.key === key) change(item); return item; }));
  }

  function showReceipt(receipt) {
    MQ.$('appeal-form').hidden = true;
    var box = MQ.$('receipt');
    box.hidden = false;
    MQ.$('receipt-number').textContent = receipt.number;
    MQ.$('receipt-secret').textContent = receipt.secret;
    MQ.$('receipt-follow').setAttribute('href', '/follow#' + receipt.number);
    box.focus();
  }

  function renderMine() {
    var list = MQ.clear(MQ.$('mine'));
    var outbox = load(OUTBOX);
    var receipts = load(RECEIPTS);
    outbox.forEach(function (item) {
      var label = item.receipt ? MQ.t('portal.photo_pending') : MQ.t('portal.pending');
      list.appendChild(MQ.el('li', {}, [MQ.el('span', { class: 'badge pending', text: label }), ' ', item.body.text.slice(0, 40)]));
    });
    receipts.slice().reverse().forEach(function (receipt) {
      list.appendChild(MQ.el('li', {}, [
        MQ.el('a', { href: '/follow#' + receipt.number, class: 'mono', text: receipt.number }), ' ',
        MQ.el('span', { class: 'hint', text: (receipt.text || '').slice(0, 40) })
      ]));
    });
    if (!outbox.length && !receipts.length) list.appendChild(MQ.el('li', { class: 'hint', text: MQ.t('portal.mine_empty') }));
    var banner = MQ.$('outbox');
    banner.hidden = !outbox.length;
    banner.textContent = outbox.length ? MQ.t('portal.queued') + ' ' + MQ.t('portal.outbox') + outbox.length : '';
  }

  function remember(receipt, body) {
    var receipts = load(RECEIPTS);
    if (!receipts.some(function (known) { return known.number === receipt.number; })) {
      receipts.push({ number: receipt.number, secret: receipt.secret, text: body.text.slice(0, 60), at: receipt.received_at });
      save(RECEIPTS, receipts.slice(-50));
    }
  }

  function drop(key) { save(OUTBOX, load(OUTBOX).filter(function (item) { return item.key !== key; })); }

  // Sends every queued submission, oldest first; stops at the first network failure.
  function flush() {
    if (flushing) return Promise.resolve();
    var outbox = load(OUTBOX);
    if (!outbox.length) return Promise.resolve();
    flushing = true;
    var sentSomething = false;
    function next(index) {
      if (index >= outbox.length) return Promise.resolve();
      var item = outbox[index];
      // An item whose appeal was taken in already only waits for its photo.
      var taken = item.receipt ? Promise.resolve(item.receipt) : MQ.api('POST', '/appeals', item.body, { anonymous: true, idempotencyKey: item.key }).then(function (receipt) {
        remember(receipt, item.body);
        if (item.photo) update(item.key, function (queued) { queued.receipt = { number: receipt.number, secret: receipt.secret, received_at: receipt.received_at }; });
        return receipt;
      }, function (error) {
        if (error.status === 0 || error.status >= 500 || error.status === 429) return Promise.reject(error);
        // The server refused this one for good (bad input): take it out and say why.
        drop(item.key);
        if (item.key === waitingKey) { waitingKey = null; MQ.$('appeal-form').hidden = false; }
        MQ.say(MQ.t('portal.failed') + error.message, 'error');
        return null;
      });
      return taken.then(function (receipt) {
        if (!receipt) return next(index + 1);
        sentSomething = true;
        // The number and the secret matter most: show them as soon as the appeal is in.
        var shown = item.key === waitingKey;
        if (shown) { waitingKey = null; showReceipt(receipt); MQ.say(item.photo ? MQ.t('portal.photo_sending') : ''); }
        if (!item.photo) { drop(item.key); return next(index + 1); }
        return MQ.uploadPhoto(receipt.number, item.photo, receipt.secret).then(function () {
          drop(item.key);
          if (shown || !MQ.$('receipt').hidden) MQ.say(MQ.t('portal.photo_sent'), 'ok');
          return next(index + 1);
        }, function (error) {
          if (error.status === 0 || error.status >= 500 || error.status === 429) {
            MQ.say(MQ.t('portal.photo_waiting'), 'warn');
            return Promise.reject(error);
          }
          // Refused for good (not an image, too many): the appeal stands without it.
          drop(item.key);
          MQ.say(MQ.t('portal.photo_failed') + error.message, 'warn');
          return next(index + 1);
        });
      });
    }
    return next(0).catch(function (error) {
      if (waitingKey) MQ.say(MQ.t('portal.queued'), 'warn');
      return error;
    }).then(function () {
      flushing = false;
      if (sentSomething && !waitingKey && MQ.$('receipt').hidden) MQ.say(MQ.t('portal.outbox_sent'), 'ok');
      renderMine();
    });
  }

  function collect() {
    var body = { text: MQ.$('text').value.trim() };
    var address = MQ.$('address').value.trim();
    if (address) body.address = address;
    if (place.mode === 'map' && place.lng !== null) { body.lng = place.lng; body.lat = place.lat; }
    if (place.mode === 'village') {
      var code = MQ.$('village').value || MQ.$('township').value;
      if (code) body.region_code = code;
    }
    var name = MQ.$('contact-name').value.trim();
    var phone = MQ.$('contact-phone').value.trim();
    if (name) body.contact_name = name;
    if (phone) body.contact_phone = phone;
    return body;
  }

  function submit(event) {
    event.preventDefault();
    var body = collect();
    if (!body.text) { MQ.say(MQ.t('portal.need_text'), 'error'); MQ.$('text').focus(); return; }
    if (body.region_code === undefined && body.lng === undefined && body.address === undefined) {
      MQ.say(MQ.t('portal.need_place'), 'error'); return;
    }
    var key = MQ.randomKey();
    var outbox = load(OUTBOX);
    outbox.push({ key: key, body: body, at: Date.now(), photo: photo });
    try {
      save(OUTBOX, outbox);
    } catch (e) {
      // The device's storage is full: keep the appeal, leave the photo out.
      outbox[outbox.length - 1].photo = null;
      save(OUTBOX, outbox);
      MQ.say(MQ.t('portal.photo_no_room'), 'warn');
    }
    waitingKey = key;
    MQ.$('appeal-form').hidden = true;
    MQ.say(MQ.t('portal.sending'));
    renderMine();
    flush();
  }

  function clearPhoto() {
    photo = null;
    MQ.$('photo').value = '';
    MQ.$('photo-preview').hidden = true;
    MQ.$('photo-thumb').removeAttribute('src');
  }

  var pickMap = null;
  function openMap() {
    if (pickMap) return;
    var container = MQ.$('pick-map');
    container.appendChild(MQ.el('p', { class: 'hint', text: MQ.t('common.loading') }));
    MQ.api('GET', '/regions/' + MQ.county() + '/grids', null, { anonymous: true }).then(function (collection) {
      pickMap = MQ.map.draw(container, collection, {
        onPoint: function (lng, lat) {
          place.lng = Math.round(lng * 1e6) / 1e6; place.lat = Math.round(lat * 1e6) / 1e6;
          pickMap.setMarker(lng, lat);
          var picked = MQ.$('picked');
          picked.textContent = MQ.t('portal.picked') + place.lat.toFixed(5) + ', ' + place.lng.toFixed(5);
          MQ.api('GET', '/route?lat=' + place.lat + '&lng=' + place.lng, null, { anonymous: true }).then(function (route) {
            var feature = route.grid_id && pickMap.featureOf(route.grid_id);
            if (feature) {
              pickMap.select(route.grid_id);
              picked.textContent += ' · ' + MQ.t('portal.picked_grid') + (feature.properties.name || route.grid_id);
            }
          }, function () { /* offline: the point is enough */ });
        }
      });
    }, function (error) { MQ.clear(container).appendChild(MQ.el('p', { class: 'warn', text: error.message })); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    MQ.regionPickers(MQ.county(), MQ.$('township'), MQ.$('village')).catch(function () { /* offline: map or address */ });
    MQ.pressTabs(document.querySelector('.tabs'), 'data-place', function (mode) {
      place.mode = mode;
      MQ.$('place-village').hidden = mode !== 'village';
      MQ.$('place-map').hidden = mode !== 'map';
      if (mode === 'map') openMap();
    });
    MQ.$('appeal-form').addEventListener('submit', submit);
    MQ.$('photo').addEventListener('change', function () {
      var file = MQ.$('photo').files[0];
      if (!file) return;
      MQ.resizePhoto(file).then(function (dataUrl) {
        photo = dataUrl;
        MQ.$('photo-thumb').src = dataUrl;
        MQ.$('photo-preview').hidden = false;
      }, function (error) { photo = null; MQ.$('photo').value = ''; MQ.say(error.message, 'error'); });
    });
    MQ.$('photo-remove').addEventListener('click', clearPhoto);
    MQ.$('another').addEventListener('click', function () {
      MQ.$('appeal-form').reset();
      clearPhoto();
      place.lng = place.lat = null;
      MQ.$('picked').textContent = '';
      MQ.$('receipt').hidden = true;
      MQ.$('appeal-form').hidden = false;
      MQ.say('');
      MQ.$('text').focus();
    });
    window.addEventListener('online', flush);
    setInterval(function () { if (load(OUTBOX).length) flush(); }, 30000);
    renderMine();
    flush();
    if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(function () { /* not essential */ });
  });
})();
