// Keeps the public portal usable without a connection: the pages and assets are cached,
// pages are fetched from the network first, versioned assets from the cache first. The
// API is never cached; submissions wait in the page's outbox instead.
'use strict';
var CACHE = 'minqing-__VERSION__';
var SHELL = ['/', '/follow', '/static/app.css?v=__VERSION__', '/static/common.js?v=__VERSION__', '/static/svgmap.js?v=__VERSION__',
  '/static/portal.js?v=__VERSION__', '/static/follow.js?v=__VERSION__', '/static/icon.svg?v=__VERSION__',
  '/i18n/zh.js?v=__VERSION__', '/i18n/en.js?v=__VERSION__'];

self.addEventListener('install', function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (key) { return key !== CACHE; }).map(function (key) { return caches.delete(key); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener('fetch', function (event) {
  var request = event.request;
  if (request.method !== 'GET') return;
  var url = new URL(request.url);
  if (url.origin !== location.origin || url.pathname.indexOf('/api/') === 0 || url.pathname.indexOf('/staff') === 0) return;
  if (url.pathname.indexOf('/static/') === 0 || url.pathname.indexOf('/i18n/') === 0) {
    event.respondWith(caches.match(request).then(function (hit) { return hit || fetch(request); }));
    return;
  }
  if (url.pathname === '/' || url.pathname === '/follow') {
    event.respondWith(fetch(request).then(function (response) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(url.pathname, copy); });
      return response;
    }, function () { return caches.match(url.pathname); }));
  }
});
