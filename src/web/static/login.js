// Staff sign-in: the token goes to this tab's sessionStorage (see src/web/mod.rs for why).
'use strict';
(function () {
  document.addEventListener('DOMContentLoaded', function () {
    MQ.$('login-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var body = { username: MQ.$('username').value.trim(), password: MQ.$('password').value };
      MQ.api('POST', '/auth/login', body, { anonymous: true }).then(function (answer) {
        MQ.signIn(answer);
        var next = new URLSearchParams(location.search).get('next') || '/staff';
        if (next.charAt(0) !== '/' || next.charAt(1) === '/' || next.indexOf('\\') >= 0) next = '/staff';
        location.href = next;
      }, function (error) {
        MQ.say(MQ.t('login.failed') + error.message, 'error');
        MQ.$('password').value = '';
        MQ.$('password').focus();
      });
    });
  });
})();
