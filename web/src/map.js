// map.js - the map: base tiles or a coordinate grid, the zones with our side
// of the border marked, tracks (class shape, id, confidence, short trail),
// response units, and the highlight of the selected alert's track.
//
// Drawing at the track rate without flicker: markers are made once per track
// and then moved in place (setLatLng: a CSS transform), their labels changed
// only when the text changes; the trails share one canvas that Leaflet redraws
// once per animation frame. The caller (app.js) calls syncTracks() at most once
// per animation frame.

/* global L */

const KIND_STYLE = {
  border_line: { color: '#b3001b', weight: 4, opacity: 1 },
  buffer: { color: '#a66a00', weight: 2, dashArray: '8 6', fillColor: '#ffb300', fillOpacity: 0.10 },
  restricted: { color: '#7a00a6', weight: 3, fillColor: '#b04adf', fillOpacity: 0.18 },
  no_alert: { color: '#2e6b2e', weight: 2, dashArray: '2 6', fillColor: '#6fbf6f', fillOpacity: 0.12 },
};
const OUR_SIDE_BAND_M = 300;

// One shape per class, so the class is readable without colour (24x24 box).
const CLASS_SHAPES = {
  person: '<circle cx="12" cy="12" r="7"/>',
  vehicle: '<rect x="5" y="5" width="14" height="14"/>',
  animal: '<polygon points="12,4 20,19 4,19"/>',
  vessel: '<polygon points="12,3 21,12 12,21 3,12"/>',
  aircraft: '<polygon points="12,2 15,10 22,13 15,15 12,22 9,15 2,13 9,10"/>',
  unknown: '<circle cx="12" cy="12" r="7" stroke-dasharray="3 2"/><text x="12" y="16" text-anchor="middle">?</text>',
};

// Text for HTML (Leaflet tooltips and divIcons take HTML; names come off the network).
function esc(v) {
  return String(v).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function classSvg(cls) {
  return `<svg class="shape" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true">${CLASS_SHAPES[cls] || CLASS_SHAPES.unknown}</svg>`;
}

// Local metres around lat0 (good enough for drawing a band a few hundred metres wide).
function toXY(lat, lon, lat0) {
  return [lon * 111320 * Math.cos((lat0 * Math.PI) / 180), lat * 110540];
}
function fromXY(x, y, lat0) {
  return [y / 110540, x / (111320 * Math.cos((lat0 * Math.PI) / 180))];
}

/**
 * The strip on our side of a border line: the line and the line moved
 * OUR_SIDE_BAND_M towards our side. coords are GeoJSON [lon, lat]; ourSide is
 * "left" or "right" looking from the first vertex to the last (docs/zones.md).
 * Returns {band: [[lat, lon]...], labels: [[lat, lon, angle_deg, sx, sy]...]}: points on
 * the line, the screen angle of the arrow and the unit screen vector towards our side.
 */
export function ourSideBand(coords, ourSide) {
  const lat0 = coords[0][1];
  const p = coords.map(([lon, lat]) => toXY(lat, lon, lat0));
  const sgn = ourSide === 'left' ? 1 : -1;
  const segN = [];
  for (let i = 0; i + 1 < p.length; i++) {
    const dx = p[i + 1][0] - p[i][0], dy = p[i + 1][1] - p[i][1];
    const len = Math.hypot(dx, dy) || 1;
    segN.push([(-dy / len) * sgn, (dx / len) * sgn]);   // unit normal towards our side
  }
  const off = p.map((pt, i) => {
    const a = segN[Math.max(0, i - 1)], b = segN[Math.min(segN.length - 1, i)];
    let nx = a[0] + b[0], ny = a[1] + b[1];
    const l = Math.hypot(nx, ny) || 1;
    nx /= l;
    ny /= l;
    return fromXY(pt[0] + nx * OUR_SIDE_BAND_M, pt[1] + ny * OUR_SIDE_BAND_M, lat0);
  });
  const line = coords.map(([lon, lat]) => [lat, lon]);
  const labels = [];
  const step = Math.max(1, Math.floor(segN.length / 3));
  for (let i = Math.floor(step / 2); i < segN.length; i += step) {
    const mx = (p[i][0] + p[i + 1][0]) / 2, my = (p[i][1] + p[i + 1][1]) / 2;
    // on screen y points down: the normal there is (nx, -ny)
    const ang = (Math.atan2(-segN[i][1], segN[i][0]) * 180) / Math.PI;
    const ll = fromXY(mx, my, lat0);
    labels.push([ll[0], ll[1], ang, segN[i][0], -segN[i][1]]);
  }
  return { band: line.concat(off.reverse()), labels };
}

// Grid spacing in degrees for a zoom level: about 4-8 lines across a tile.
function gridStep(z) {
  const steps = [10, 5, 2, 1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 0.0005];
  const tileDeg = 360 / 2 ** z;
  return steps.find((s) => s <= tileDeg / 3) || steps[steps.length - 1];
}

function fmtDeg(v, step, pos, neg) {
  const dec = Math.max(0, Math.ceil(-Math.log10(step)));
  return `${Math.abs(v).toFixed(dec)}°${v >= 0 ? pos : neg}`;
}

// A plain latitude/longitude grid drawn on canvas tiles: the base map offline.
const CoordGrid = L.GridLayer.extend({
  createTile(coords) {
    const tile = document.createElement('canvas');
    const size = this.getTileSize();
    tile.width = size.x;
    tile.height = size.y;
    const ctx = tile.getContext('2d');
    ctx.fillStyle = '#f4f1ea';
    ctx.fillRect(0, 0, size.x, size.y);
    const map = this._map;
    const nw = coords.scaleBy(size);
    const se = nw.add(size);
    const llNW = map.unproject(nw, coords.z), llSE = map.unproject(se, coords.z);
    const step = gridStep(coords.z);
    ctx.strokeStyle = '#c9c2b3';
    ctx.lineWidth = 1;
    for (let lon = Math.ceil(llNW.lng / step) * step; lon <= llSE.lng; lon += step) {
      const x = Math.round(map.project([llNW.lat, lon], coords.z).x - nw.x) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, 0);
      ctx.lineTo(x, size.y);
      ctx.stroke();
    }
    for (let lat = Math.ceil(llSE.lat / step) * step; lat <= llNW.lat; lat += step) {
      const y = Math.round(map.project([lat, llNW.lng], coords.z).y - nw.y) + 0.5;
      ctx.beginPath();
      ctx.moveTo(0, y);
      ctx.lineTo(size.x, y);
      ctx.stroke();
    }
    return tile;
  },
});

// The grid's labels, once per line along the top and left edges of the map.
function gridLabels(map) {
  const box = L.DomUtil.create('div', 'grid-labels', map.getContainer());
  const draw = () => {
    const z = Math.round(map.getZoom());
    const step = gridStep(z);
    const b = map.getBounds();
    const parts = [];
    let lastX = -1e9, lastY = -1e9;   // labels that would overlap are left out
    for (let lon = Math.ceil(b.getWest() / step) * step; lon <= b.getEast(); lon += step) {
      const x = map.latLngToContainerPoint([b.getNorth(), lon]).x;
      if (x - lastX < 70)
        continue;
      lastX = x;
      parts.push(`<span class="gl-lon" style="left:${x.toFixed(0)}px">${fmtDeg(lon, step, 'E', 'W')}</span>`);
    }
    for (let lat = Math.ceil(b.getSouth() / step) * step; lat <= b.getNorth(); lat += step) {
      const y = map.latLngToContainerPoint([lat, b.getWest()]).y;
      if (Math.abs(y - lastY) < 24)
        continue;
      lastY = y;
      parts.push(`<span class="gl-lat" style="top:${y.toFixed(0)}px">${fmtDeg(lat, step, 'N', 'S')}</span>`);
    }
    box.innerHTML = parts.join('');
  };
  map.on('move zoomend resize', draw);
  draw();
}

export function createMap(el, config, onSelectTrack) {
  const map = L.map(el, { zoomControl: true, attributionControl: true, zoomSnap: 0.25 });
  map.setView([46.8, 8.2], 12);
  if (config.tile_url) {
    L.tileLayer(config.tile_url, {
      maxZoom: 19,
      attribution: config.tile_attribution || '',
    }).addTo(map);
  } else {
    new CoordGrid({ tileSize: 256, maxZoom: 19 }).addTo(map);
    gridLabels(map);
    map.attributionControl.addAttribution('coordinate grid (no base map configured)');
  }
  const svg = L.svg({ padding: 0.5 });
  const trailCanvas = L.canvas({ padding: 0.2 });
  const zoneLayer = L.layerGroup().addTo(map);
  const trailLayer = L.layerGroup().addTo(map);
  const trackLayer = L.layerGroup().addTo(map);
  const unitLayer = L.layerGroup().addTo(map);
  const view = { map, tracks: new Map(), units: new Map(), selected: null, fitted: false };

  view.setZones = (fc) => {
    zoneLayer.clearLayers();
    const bounds = L.latLngBounds([]);
    for (const f of fc.features) {
      const p = f.properties || {};
      const style = KIND_STYLE[p.kind] || KIND_STYLE.buffer;
      const layer = L.geoJSON(f, {
        renderer: svg,
        style: () => ({ ...style, renderer: svg, className: `zone zone-${p.kind}` }),
      });
      layer.bindTooltip(esc(`${p.name || p.id} (${String(p.kind).replace('_', ' ')}, severity ${p.severity})`),
                        { sticky: true });
      layer.addTo(zoneLayer);
      bounds.extend(layer.getBounds());
      if (p.kind === 'border_line' && f.geometry && f.geometry.type === 'LineString' &&
          (p.our_side === 'left' || p.our_side === 'right')) {
        const { band, labels } = ourSideBand(f.geometry.coordinates, p.our_side);
        L.polygon(band, {
          renderer: svg, className: 'zone our-side', stroke: false, fillColor: '#1b7f3a',
          fillOpacity: 0.16, interactive: false,
        }).addTo(zoneLayer);
        // the label's centre 28 px from the line towards our side, whatever the zoom
        for (const [lat, lon, ang, sx, sy] of labels)
          L.marker([lat, lon], {
            interactive: false, keyboard: false,
            icon: L.divIcon({
              className: 'our-side-label',
              html: `<span class="arrow" style="transform: rotate(${ang.toFixed(0)}deg)">➜</span> OUR SIDE`,
              iconSize: [110, 20],
              iconAnchor: [55 - sx * 28, 10 - sy * 28],
            }),
          }).addTo(zoneLayer);
      }
    }
    if (!view.fitted && bounds.isValid()) {
      map.fitBounds(bounds, { padding: [20, 20] });
      view.fitted = true;
    }
  };

  function makeTrack(t) {
    const icon = L.divIcon({
      className: 'trk-icon',
      html: `<div class="trk" data-track="${t.id}">${classSvg(t.cls)}<span class="lbl"></span></div>`,
      iconSize: [24, 24],
      iconAnchor: [12, 12],
    });
    const marker = L.marker([t.lat, t.lon], { icon, keyboard: false, riseOnHover: true });
    marker.on('click', () => onSelectTrack(t.id));
    marker.addTo(trackLayer);
    const trail = L.polyline(t.trail, {
      renderer: trailCanvas, color: '#1d3f8f', weight: 2, opacity: 0.55, interactive: false,
    }).addTo(trailLayer);
    const el = marker.getElement().firstElementChild;
    return { marker, trail, el, lbl: el.querySelector('.lbl'), cls: t.cls, text: '',
             lat: t.lat, lon: t.lon, n: 0 };
  }

  /** Bring the markers in line with model.tracks (once per animation frame). */
  view.syncTracks = (tracks) => {
    for (const [id, v] of view.tracks)
      if (!tracks.has(id)) {
        v.marker.remove();
        v.trail.remove();
        view.tracks.delete(id);
      }
    for (const t of tracks.values()) {
      let v = view.tracks.get(t.id);
      if (!v) {
        v = makeTrack(t);
        view.tracks.set(t.id, v);
      } else if (v.lat !== t.lat || v.lon !== t.lon) {
        v.marker.setLatLng([t.lat, t.lon]);
        v.lat = t.lat;
        v.lon = t.lon;
      }
      if (v.n !== t.trail.length || v.trailLast !== t.trail[t.trail.length - 1]) {
        v.trail.setLatLngs(t.trail);
        v.n = t.trail.length;
        v.trailLast = t.trail[t.trail.length - 1];
      }
      if (v.cls !== t.cls) {
        v.el.firstElementChild.outerHTML = classSvg(t.cls);
        v.cls = t.cls;
      }
      const text = `${t.id} ${t.conf === null ? '' : Math.round(t.conf * 100) + '%'}` +
                   (t.test ? ' TEST' : '');
      if (v.text !== text) {
        v.lbl.textContent = text;
        v.text = text;
        v.marker.options.title = `track ${t.id}${t.test ? ' (radar test target)' : ''}: ` +
                                 `${t.cls}, confidence ${text}`;
      }
      const sel = view.selected === t.id;
      if (v.sel !== sel || v.test !== t.test) {
        // a radar test target is grey: it is the radar checking itself, never an alert
        v.el.classList.toggle('selected', sel);
        v.el.classList.toggle('test', t.test === true);
        const rest = t.test ? { color: '#8a8a8a', weight: 2, opacity: 0.5, dashArray: '4 4' }
                            : { color: '#1d3f8f', weight: 2, opacity: 0.55, dashArray: null };
        v.trail.setStyle(sel ? { color: '#ff6a00', weight: 5, opacity: 0.9, dashArray: null } : rest);
        v.marker.setZIndexOffset(sel ? 10000 : 0);
        v.sel = sel;
        v.test = t.test;
      }
    }
  };

  /** Highlight one track (null: none); pan to it if it is off screen. */
  view.select = (trackId, position) => {
    view.selected = trackId;
    const v = trackId === null ? null : view.tracks.get(trackId);
    const ll = v ? v.marker.getLatLng() : position ? L.latLng(position.lat, position.lon) : null;
    if (ll && !map.getBounds().pad(-0.1).contains(ll))
      map.panTo(ll);
  };

  view.syncUnits = (units) => {
    for (const u of units.values()) {
      let v = view.units.get(u.id);
      const label = `${u.id}${u.mode >= 2 ? '' : ' (no fix)'}`;
      if (!v) {
        const marker = L.marker([u.lat, u.lon], {
          keyboard: false,
          icon: L.divIcon({
            className: 'unit-icon', iconSize: [26, 26], iconAnchor: [13, 13],
            html: `<div class="unit" data-unit="${esc(u.id)}"><svg viewBox="0 0 26 26" width="26" height="26" aria-hidden="true"><polygon points="13,2 24,9 20,24 6,24 2,9"/></svg><span class="lbl"></span></div>`,
          }),
        }).addTo(unitLayer);
        v = { marker, lbl: marker.getElement().querySelector('.lbl'), text: '' };
        view.units.set(u.id, v);
      }
      v.marker.setLatLng([u.lat, u.lon]);
      if (v.text !== label) {
        v.lbl.textContent = label;
        v.text = label;
      }
    }
  };

  return view;
}
