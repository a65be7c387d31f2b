// Follow an appeal by number and secret; rate it when resolved. The secret never goes
// into this page's address; a receipt kept on this device fills it in.
'use strict';
(function () {
  var current = null;

  function knownSecret(number) {
    try {
      var receipts = JSON.parse(localStorage.getItem('mq_receipts') || '[]');
      var hit = receipts.filter(function (receipt) { return receipt.number === number; })[0];
      return hit ? hit.secret : '';
    } catch (e) { return ''; }
  }

  function show(view) {
    current = view;
    var box = MQ.$('result');
    box.hidden = false;
    MQ.$('r-number').textContent = view.number;
    var status = MQ.$('r-status');
    status.textContent = MQ.t('status.' + view.status);
    status.className = 'badge status-' + view.status;
    MQ.$('r-text').textContent = view.text;
    MQ.$('r-received').textContent = MQ.time(view.received_at);
    MQ.$('r-reply-box').hidden = !view.reply;
    MQ.$('r-reply').textContent = view.reply || '';
    var merged = MQ.$('r-merged');
    merged.hidden = !view.merged_into;
    merged.textContent = view.merged_into ? MQ.t('follow.merged') + ' ' + view.merged_into : '';
    var list = MQ.clear(MQ.$('r-events'));
    view.events.forEach(function (event) {
      list.appendChild(MQ.el('li', {}, [
        MQ.el('time', { text: MQ.time(event.at) }), ' ', MQ.el('strong', { text: MQ.t('event.' + event.kind) }),
        event.note ? MQ.el('p', { text: event.note }) : null
      ]));
    });
    var rating = MQ.$('r-rating');
    rating.hidden = !view.rating;
    if (view.rating) rating.textContent = MQ.t('follow.rated') + MQ.t('resolution.' + view.rating.resolution) + ' · ' + MQ.t('satisfaction.' + view.rating.satisfaction);
    MQ.$('rate-form').hidden = !view.can_rate;
    MQ.$('r-add-photo').hidden = ['closed', 'rejected', 'merged'].indexOf(view.status) >= 0;
    photos();
  }

  function photos() {
    var box = MQ.$('r-photos');
    MQ.showPhotos(box, current.number, MQ.$('secret').value.trim()).then(function (list) {
      if (!list.length) box.appendChild(MQ.el('p', { class: 'hint', text: MQ.t('photo.none') }));
    }, function () { /* the appeal itself is shown; photos may come later */ });
  }

  function look(number, secret) {
    MQ.say(MQ.t('common.loading'));
    return MQ.api('GET', '/public/appeals/' + encodeURIComponent(number) + '?secret=' + encodeURIComponent(secret), null, { anonymous: true })
      .then(function (view) { MQ.say(''); show(view); MQ.$('result').focus(); }, function (error) {
        MQ.$('result').hidden = true;
        MQ.say(error.status === 404 ? MQ.t('follow.not_found') : MQ.t('err.generic') + error.message, 'error');
      });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var form = MQ.$('follow-form');
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      look(MQ.$('number').value.trim().toUpperCase(), MQ.$('secret').value.trim());
    });
    MQ.$('r-photo').addEventListener('change', function () {
      var file = MQ.$('r-photo').files[0];
      if (!file || !current) return;
      MQ.say(MQ.t('portal.photo_sending'));
      MQ.resizePhoto(file).then(function (dataUrl) {
        return MQ.uploadPhoto(current.number, dataUrl, MQ.$('secret').value.trim());
      }).then(function () { MQ.$('r-photo').value = ''; MQ.say(MQ.t('portal.photo_sent'), 'ok'); photos(); }, function (error) { MQ.say(MQ.t('portal.photo_failed') + error.message, 'error'); });
    });
    MQ.$('rate-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var resolution = document.querySelector('input[name=resolution]:checked');
      var satisfaction = document.querySelector('input[name=satisfaction]:checked');
      if (!resolution || !satisfaction || !current) { MQ.say(MQ.t('follow.rate'), 'error'); return; }
      var body = { secret: MQ.$('secret').value.trim(), resolution: resolution.value, satisfaction: satisfaction.value };
      var comment = MQ.$('comment').value.trim();
      if (comment) body.comment = comment;
      MQ.api('POST', '/public/appeals/' + encodeURIComponent(current.number) + '/rate', body, { anonymous: true }).then(function (view) {
        show(view);
        MQ.say(MQ.t('follow.thanks'), 'ok');
      }, function (error) { MQ.say(MQ.t('err.generic') + error.message, 'error'); });
    });
    function fromHash() {
      var number = decodeURIComponent((location.hash || '').slice(1)).toUpperCase();
      if (!number) return;
      MQ.$('number').value = number;
      var secret = knownSecret(number);
      if (secret) { MQ.$('secret').value = secret; look(number, secret); }
    }
    window.addEventListener('hashchange', fromHash);
    fromHash();
    if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(function () { /* not essential */ });
  });
})();
