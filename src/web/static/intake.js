// Operator entry: a hotline call (one appeal) or meeting minutes (several appeals).
// Each save carries a key made here, so a double click or a retry records it once.
'use strict';
(function () {
  var CHANNELS = ['hotline', 'grid_visit', 'party_rep', 'mini_program', 'web'];
  var TIERS = ['green', 'blue', 'yellow', 'red'];
  var callKey = null;

  function showNumbers(receipts) {
    var box = MQ.$('intake-result');
    var list = MQ.clear(MQ.$('intake-numbers'));
    receipts.forEach(function (receipt) {
      list.appendChild(MQ.el('li', {}, [
        MQ.el('a', { href: '/staff/appeals/' + receipt.number, class: 'mono', text: receipt.number }), ' ',
        MQ.tierBadge(receipt.tier), ' ', MQ.el('span', { class: 'hint', text: MQ.t('portal.receipt_secret') + ' ' + receipt.secret })
      ]));
    });
    box.hidden = false;
    box.focus();
  }

  function appealBlock(index) {
    var n = index + 1;
    return MQ.el('div', { class: 'sub-appeal' }, [
      MQ.el('label', { for: 'ma-text-' + n, text: MQ.t('intake.appeal_n') + ' ' + n + ' *' }),
      MQ.el('textarea', { id: 'ma-text-' + n, class: 'ma-text', rows: 2, maxlength: 5000, required: true }),
      MQ.el('label', { for: 'ma-address-' + n, text: MQ.t('portal.address') }),
      MQ.el('input', { id: 'ma-address-' + n, class: 'ma-address', maxlength: 200 }),
      MQ.el('button', { type: 'button', class: 'link', text: MQ.t('intake.remove'), onclick: function (event) { event.target.parentNode.remove(); } })
    ]);
  }

  function chinaTime(localValue) { return localValue ? localValue + ':00+08:00' : ''; }

  document.addEventListener('DOMContentLoaded', function () {
    if (!MQ.requireStaff()) return;
    MQ.pressTabs(document.querySelector('.tabs'), 'data-pane', function (pane) {
      MQ.$('call-form').hidden = pane !== 'call';
      MQ.$('meeting-form').hidden = pane !== 'meeting';
    });
    CHANNELS.forEach(function (name) { MQ.$('c-channel').appendChild(MQ.el('option', { value: name, text: MQ.t('channel.' + name) })); });
    // A grid worker at the door logs on the grid-visit channel.
    if (MQ.me() && (MQ.me().roles || []).indexOf('grid_worker') >= 0) MQ.$('c-channel').value = 'grid_visit';
    TIERS.forEach(function (name) { MQ.$('c-tier').appendChild(MQ.el('option', { value: name, text: MQ.t('tier.' + name) })); });
    MQ.regionPickers(MQ.county(), MQ.$('c-township'), MQ.$('c-village'));
    MQ.regionPickers(MQ.county(), MQ.$('m-township'), MQ.$('m-village'));
    MQ.api('GET', '/categories').then(function (categories) {
      categories.forEach(function (category) { MQ.$('c-category').appendChild(MQ.el('option', { value: category.code, text: category.code + ' ' + category.name })); });
    });
    var appeals = MQ.$('m-appeals');
    appeals.appendChild(appealBlock(0));
    MQ.$('m-add').addEventListener('click', function () { appeals.appendChild(appealBlock(appeals.children.length)); });

    MQ.$('call-form').addEventListener('input', function () { callKey = null; });
    MQ.$('call-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var body = { text: MQ.$('c-text').value.trim(), channel: MQ.$('c-channel').value };
      var region = MQ.$('c-village').value || MQ.$('c-township').value;
      if (region) body.region_code = region;
      if (MQ.$('c-address').value.trim()) body.address = MQ.$('c-address').value.trim();
      if (MQ.$('c-category').value) body.category_code = MQ.$('c-category').value;
      if (MQ.$('c-name').value.trim()) body.contact_name = MQ.$('c-name').value.trim();
      if (MQ.$('c-phone').value.trim()) body.contact_phone = MQ.$('c-phone').value.trim();
      // The person taking it may judge the tier and urgency; otherwise they are suggested.
      if (MQ.$('c-tier').value) body.tier = MQ.$('c-tier').value;
      if (MQ.$('c-urgent').checked) body.urgent = true;
      if (!body.text) { MQ.say(MQ.t('portal.need_text'), 'error'); return; }
      callKey = callKey || MQ.randomKey();
      MQ.api('POST', '/appeals', body, { idempotencyKey: callKey }).then(function (receipt) {
        MQ.say(MQ.t('intake.saved'), 'ok');
        showNumbers([receipt]);
        MQ.$('call-form').reset();
        callKey = null;
      }, function (error) { MQ.say(MQ.t('err.generic') + error.message, 'error'); });
    });

    MQ.$('meeting-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var region = MQ.$('m-village').value || MQ.$('m-township').value;
      var body = {
        kind: MQ.$('m-kind').value.trim(), title: MQ.$('m-title').value.trim(), region_code: region,
        held_at: chinaTime(MQ.$('m-held').value), appeals: []
      };
      if (MQ.$('m-place').value.trim()) body.place = MQ.$('m-place').value.trim();
      if (MQ.$('m-minutes').value.trim()) body.minutes = MQ.$('m-minutes').value.trim();
      Array.prototype.forEach.call(appeals.children, function (block) {
        var text = block.querySelector('.ma-text').value.trim();
        var address = block.querySelector('.ma-address').value.trim();
        if (text) body.appeals.push(address ? { text: text, address: address } : { text: text });
      });
      MQ.api('POST', '/meetings', body).then(function (answer) {
        MQ.say(MQ.t('intake.saved'), 'ok');
        showNumbers(answer.appeals);
      }, function (error) { MQ.say(MQ.t('err.generic') + error.message, 'error'); });
    });
  });
})();
