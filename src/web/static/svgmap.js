// Draws grids from our own GeoJSON as SVG, no library. Web Mercator projection, so that
// when a deployment configures its own tile server (`minqing serve --tile-url`, given to
// the page as data-tiles) its tiles line up underneath; without one, no tile is fetched
// from anywhere and the outlines stand alone.
// MQ.map.draw(container, featureCollection, options) returns a handle with
// setFill(fn), setMarker(lng, lat), select(id), and edit(ring, onChange)/stopEditing()
// for drawing or reshaping one outline on the map (used by the administration page).
'use strict';
(function () {
  var NS = 'http://www.w3.org/2000/svg';
  var WIDTH = 1000;
  var TILE_SIZE = 256;
  var MAX_TILES = 80;

  // Web Mercator in world units: x and y from 0 to 1, y growing southwards.
  function worldX(lng) { return (lng + 180) / 360; }
  function worldY(lat) {
    var clamped = Math.max(Math.min(lat, 85.05), -85.05) * Math.PI / 180;
    return (1 - Math.log(Math.tan(Math.PI / 4 + clamped / 2)) / Math.PI) / 2;
  }
  function lngOf(x) { return x * 360 - 180; }
  function latOf(y) { return Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180 / Math.PI; }

  function svgEl(tag, attrs) {
    var node = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    return node;
  }

  function rings(geometry) {
    if (!geometry) return [];
    if (geometry.type === 'Polygon') return [geometry.coordinates];
    if (geometry.type === 'MultiPolygon') return geometry.coordinates;
    return [];
  }

  function bounds(features) {
    var box = { minLng: 180, maxLng: -180, minLat: 90, maxLat: -90 };
    features.forEach(function (feature) {
      rings(feature.geometry).forEach(function (polygon) {
        polygon.forEach(function (ring) {
          ring.forEach(function (point) {
            if (point[0] < box.minLng) box.minLng = point[0];
            if (point[0] > box.maxLng) box.maxLng = point[0];
            if (point[1] < box.minLat) box.minLat = point[1];
            if (point[1] > box.maxLat) box.maxLat = point[1];
          });
        });
      });
    });
    return box;
  }

  function draw(container, collection, options) {
    options = options || {};
    var features = (collection && collection.features) || [];
    MQ.clear(container);
    if (!features.length) {
      container.appendChild(MQ.el('p', { class: 'hint', text: MQ.t('map.none') }));
      return null;
    }
    var box = bounds(features);
    if (options.extraPoint) {
      box.minLng = Math.min(box.minLng, options.extraPoint[0]); box.maxLng = Math.max(box.maxLng, options.extraPoint[0]);
      box.minLat = Math.min(box.minLat, options.extraPoint[1]); box.maxLat = Math.max(box.maxLat, options.extraPoint[1]);
    }
    var x0 = worldX(box.minLng), y0 = worldY(box.maxLat);
    var scale = WIDTH / Math.max(worldX(box.maxLng) - x0, 1e-9);
    var height = Math.max((worldY(box.minLat) - y0) * scale, 50);
    function project(lng, lat) { return [(worldX(lng) - x0) * scale, (worldY(lat) - y0) * scale]; }
    function unproject(x, y) { return [lngOf(x / scale + x0), latOf(y / scale + y0)]; }
    var tileUrl = document.body.getAttribute('data-tiles') || '';

    var view = { x: 0, y: 0, w: WIDTH, h: height };
    var svg = svgEl('svg', { viewBox: '0 0 ' + WIDTH + ' ' + height, role: 'img', 'aria-label': options.label || MQ.t('map.label'), class: tileUrl ? 'svgmap with-tiles' : 'svgmap' });
    var tiles = svgEl('g', { class: 'tiles' });
    var layer = svgEl('g', {});
    svg.appendChild(tiles);
    svg.appendChild(layer);
    var paths = {};
    var ordered = features.slice().sort(function (a, b) {
      return (a.properties && a.properties.parent_id ? 1 : 0) - (b.properties && b.properties.parent_id ? 1 : 0);
    });
    var strokeWidth = Math.max(WIDTH / 800, 0.5);
    ordered.forEach(function (feature) {
      var d = '';
      rings(feature.geometry).forEach(function (polygon) {
        polygon.forEach(function (ring) {
          ring.forEach(function (point, index) {
            var p = project(point[0], point[1]);
            d += (index === 0 ? 'M' : 'L') + p[0].toFixed(1) + ' ' + p[1].toFixed(1);
          });
          d += 'Z';
        });
      });
      var props = feature.properties || {};
      var isParent = features.some(function (other) { return other.properties && other.properties.parent_id === props.id; });
      var path = svgEl('path', { d: d, class: isParent ? 'grid parent' : 'grid', 'fill-rule': 'evenodd', 'stroke-width': isParent ? strokeWidth * 2 : strokeWidth });
      var title = svgEl('title', {});
      title.textContent = (props.name || props.id || '');
      path.appendChild(title);
      path.setAttribute('data-id', props.id || '');
      layer.appendChild(path);
      paths[props.id] = { path: path, feature: feature, parent: isParent };
    });
    var marker = svgEl('circle', { r: 8, class: 'marker', visibility: 'hidden' });
    layer.appendChild(marker);
    // The outline being edited, if any (see edit() below), drawn above the grids.
    var editor = null;
    var overlay = svgEl('g', { class: 'editor' });
    layer.appendChild(overlay);

    // The tiles under the current view, at the zoom whose tile pixels match the screen's.
    var tileTimer = null;
    function drawTiles() {
      if (!tileUrl) return;
      var rect = svg.getBoundingClientRect();
      if (!rect.width) return;
      var wx0 = x0 + view.x / scale, wx1 = x0 + (view.x + view.w) / scale;
      var wy0 = y0 + view.y / scale, wy1 = y0 + (view.y + view.h) / scale;
      var zoom = Math.max(0, Math.min(19, Math.round(Math.log(rect.width / (wx1 - wx0) / TILE_SIZE) / Math.LN2)));
      var n, tx0, tx1, ty0, ty1;
      for (;;) {
        n = Math.pow(2, zoom);
        tx0 = Math.max(0, Math.floor(wx0 * n)); tx1 = Math.min(n - 1, Math.floor(wx1 * n));
        ty0 = Math.max(0, Math.floor(wy0 * n)); ty1 = Math.min(n - 1, Math.floor(wy1 * n));
        if ((tx1 - tx0 + 1) * (ty1 - ty0 + 1) <= MAX_TILES || zoom === 0) break;
        zoom -= 1;
      }
      MQ.clear(tiles);
      var size = scale / n;
      for (var tx = tx0; tx <= tx1; tx++) {
        for (var ty = ty0; ty <= ty1; ty++) {
          var href = tileUrl.replace('{z}', zoom).replace('{x}', tx).replace('{y}', ty);
          tiles.appendChild(svgEl('image', { href: href, x: ((tx / n - x0) * scale).toFixed(2), y: ((ty / n - y0) * scale).toFixed(2), width: (size + 0.2).toFixed(2), height: (size + 0.2).toFixed(2), preserveAspectRatio: 'none' }));
        }
      }
    }
    function scheduleTiles() { if (!tileUrl) return; clearTimeout(tileTimer); tileTimer = setTimeout(drawTiles, 120); }
    function applyView() {
      svg.setAttribute('viewBox', [view.x, view.y, view.w, view.h].map(function (n) { return n.toFixed(1); }).join(' '));
      scheduleTiles();
    }
    function zoom(factor, cx, cy) {
      if (cx === undefined) { cx = view.x + view.w / 2; cy = view.y + view.h / 2; }
      var w = Math.min(Math.max(view.w * factor, WIDTH / 40), WIDTH * 1.5);
      var ratio = w / view.w;
      view.x = cx - (cx - view.x) * ratio; view.y = cy - (cy - view.y) * ratio;
      view.w = w; view.h = view.h * ratio;
      applyView();
      marker.setAttribute('r', 8 * view.w / WIDTH);
      renderEditor();
    }
    function svgPoint(event) {
      var point = svg.createSVGPoint();
      point.x = event.clientX; point.y = event.clientY;
      var matrix = layer.getScreenCTM();
      return matrix ? point.matrixTransform(matrix.inverse()) : { x: 0, y: 0 };
    }

    // Drag to pan; a press that hardly moves is a click.
    var drag = null;
    svg.addEventListener('pointerdown', function (event) {
      var vertex = editor && event.target && event.target.getAttribute ? event.target.getAttribute('data-vertex') : null;
      if (vertex !== null && vertex !== undefined) {
        // Dragging a corner of the outline being edited moves that corner, not the map.
        editor.dragging = Number(vertex);
        if (svg.setPointerCapture && event.pointerId !== undefined) { try { svg.setPointerCapture(event.pointerId); } catch (e) { /* synthetic events */ } }
        event.preventDefault();
        return;
      }
      drag = { x: event.clientX, y: event.clientY, vx: view.x, vy: view.y, moved: false };
    });
    svg.addEventListener('pointermove', function (event) {
      if (editor && editor.dragging !== null) {
        var q = svgPoint(event);
        editor.ring[editor.dragging] = unproject(q.x, q.y);
        editor.moved = true;
        renderEditor();
        return;
      }
      if (!drag) return;
      var dx = event.clientX - drag.x, dy = event.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 6) drag.moved = true;
      if (!drag.moved) return;
      var rect = svg.getBoundingClientRect();
      var unitsPerPixel = view.w / Math.max(rect.width, 1);
      view.x = drag.vx - dx * unitsPerPixel; view.y = drag.vy - dy * unitsPerPixel;
      applyView();
    });
    svg.addEventListener('pointerup', function (event) {
      if (editor && editor.dragging !== null) {
        editor.dragging = null;
        if (editor.moved) changed();
        editor.moved = false;
        return;
      }
      var wasDrag = drag && drag.moved;
      drag = null;
      if (wasDrag) return;
      var p = svgPoint(event);
      var lngLat = unproject(p.x, p.y);
      if (editor) { addCorner(p, lngLat); return; }
      var target = event.target && event.target.getAttribute ? event.target.getAttribute('data-id') : null;
      if (options.onPoint) options.onPoint(lngLat[0], lngLat[1]);
      if (options.onGrid && target) options.onGrid(target, paths[target].feature);
    });
    svg.addEventListener('pointerleave', function () { drag = null; });
    svg.addEventListener('dblclick', function (event) {
      var vertex = editor && event.target && event.target.getAttribute ? event.target.getAttribute('data-vertex') : null;
      if (vertex === null || vertex === undefined || editor.ring.length <= 3) return;
      event.preventDefault();
      editor.ring.splice(Number(vertex), 1);
      renderEditor();
      changed();
    });

    // Editing one outline: its corners as handles in an overlay. A click on the map adds a
    // corner (while drawing a new outline, at the end; on a closed outline, into the
    // nearest side), a handle dragged moves its corner, a double-click removes it.
    function changed() { if (editor && editor.onChange) editor.onChange(editor.ring.slice()); }
    function renderEditor() {
      MQ.clear(overlay);
      if (!editor) return;
      var points = editor.ring.map(function (c) { return project(c[0], c[1]); });
      var r = 6 * view.w / WIDTH;
      if (points.length > 1) {
        var d = points.map(function (q, i) { return (i ? 'L' : 'M') + q[0].toFixed(1) + ' ' + q[1].toFixed(1); }).join('') + (points.length > 2 ? 'Z' : '');
        overlay.appendChild(svgEl('path', { d: d, class: 'edit-outline', 'stroke-width': strokeWidth * 2 }));
      }
      points.forEach(function (q, i) {
        var corner = svgEl('circle', { cx: q[0].toFixed(1), cy: q[1].toFixed(1), r: r, class: 'edit-corner', 'data-vertex': String(i) });
        var title = svgEl('title', {});
        title.textContent = MQ.t('admin.corner') + ' ' + (i + 1);
        corner.appendChild(title);
        overlay.appendChild(corner);
      });
    }
    function addCorner(p, lngLat) {
      var ring = editor.ring;
      if (!editor.closed || ring.length < 3) {
        ring.push(lngLat);
      } else {
        // Insert into the side nearest to the click.
        var best = 0, bestDistance = Infinity;
        for (var i = 0; i < ring.length; i++) {
          var a = project(ring[i][0], ring[i][1]), b = project(ring[(i + 1) % ring.length][0], ring[(i + 1) % ring.length][1]);
          var distance = segmentDistance(p, a, b);
          if (distance < bestDistance) { bestDistance = distance; best = i; }
        }
        ring.splice(best + 1, 0, lngLat);
      }
      renderEditor();
      changed();
    }
    function segmentDistance(p, a, b) {
      var dx = b[0] - a[0], dy = b[1] - a[1];
      var length = dx * dx + dy * dy;
      var t = length ? Math.max(0, Math.min(1, ((p.x - a[0]) * dx + (p.y - a[1]) * dy) / length)) : 0;
      var x = a[0] + t * dx - p.x, y = a[1] + t * dy - p.y;
      return Math.sqrt(x * x + y * y);
    }
    svg.addEventListener('wheel', function (event) {
      event.preventDefault();
      var p = svgPoint(event);
      zoom(event.deltaY > 0 ? 1.25 : 0.8, p.x, p.y);
    }, { passive: false });

    var controls = MQ.el('div', { class: 'map-controls' }, [
      MQ.el('button', { type: 'button', 'aria-label': MQ.t('map.zoom_in'), text: '+', onclick: function () { zoom(0.6); } }),
      MQ.el('button', { type: 'button', 'aria-label': MQ.t('map.zoom_out'), text: '−', onclick: function () { zoom(1 / 0.6); } }),
      MQ.el('button', { type: 'button', 'aria-label': MQ.t('map.reset'), text: '⟲', onclick: function () { view = { x: 0, y: 0, w: WIDTH, h: height }; applyView(); marker.setAttribute('r', 8); } })
    ]);
    container.appendChild(svg);
    container.appendChild(controls);
    scheduleTiles();

    var handle = {
      setFill: function (fill) {
        Object.keys(paths).forEach(function (id) {
          var entry = paths[id];
          if (entry.parent) return;
          var colour = fill(id, entry.feature);
          // A style, not the fill attribute: the stylesheet's fill would win over an attribute.
          entry.path.style.fill = colour || '';
        });
      },
      setMarker: function (lng, lat) {
        var p = project(lng, lat);
        marker.setAttribute('cx', p[0]); marker.setAttribute('cy', p[1]);
        marker.setAttribute('visibility', 'visible');
      },
      select: function (id) {
        Object.keys(paths).forEach(function (other) { paths[other].path.classList.toggle('selected', other === id); });
      },
      focus: function (lng, lat, factor) {
        var p = project(lng, lat);
        view.w = WIDTH * factor; view.h = height * factor; view.x = p[0] - view.w / 2; view.y = p[1] - view.h / 2;
        applyView();
        marker.setAttribute('r', 8 * factor);
      },
      featureOf: function (id) { return paths[id] ? paths[id].feature : null; },
      // Starts editing an outline: `ring` is a list of [lng, lat] corners (without the
      // closing repeat), empty to draw a new one. onChange gets the corners after each change.
      edit: function (ring, onChange) {
        editor = { ring: (ring || []).map(function (c) { return [c[0], c[1]]; }), closed: (ring || []).length >= 3, dragging: null, moved: false, onChange: onChange };
        svg.classList.add('editing');
        renderEditor();
      },
      // A drawn outline becomes closed after its third corner is set by the caller.
      closeOutline: function () { if (editor) editor.closed = true; },
      undoCorner: function () { if (editor && editor.ring.length) { editor.ring.pop(); renderEditor(); changed(); } },
      corners: function () { return editor ? editor.ring.slice() : []; },
      stopEditing: function () { editor = null; svg.classList.remove('editing'); renderEditor(); }
    };
    return handle;
  }

  window.MQ = window.MQ || {};
  window.MQ.map = { draw: draw };
})();
