// minigan lab: the page. It asks the lab server (minigan/lab/api.py) for the run's state as JSON
// and draws it; every button and control is one POST. No library, nothing fetched from elsewhere.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const COLOURS = {  // the same as minigan/lab/export.py
    white: [247, 247, 247], realSide: [90, 190, 120], fakeSide: [170, 120, 210],
    realPoint: 'rgb(20, 110, 50)', fakePoint: 'rgb(90, 30, 130)', arrow: 'rgba(30, 30, 30, 0.75)',
    penalty: 'rgb(230, 120, 0)', drawn: 'rgb(0, 0, 0)',
  };
  const ARROW_CAP = 1.0;  // plane units: longer arrows are cut, so that one wild point does not cover the plane

  let state = null;        // the last state the server sent
  let playing = false;
  let drawing = null;      // the points being drawn, [[x, y], ...], or null outside draw mode
  let pen = false;         // the mouse button is down on the plane
  let queue = Promise.resolve();  // requests go one after the other, in the order they were made
  let pending = 0;

  // ------------------------------------------------------------------ talking to the server
  function request(method, path, body) {
    pending += 1;
    const run = async () => {
      try {
        const response = await fetch(path, {
          method, headers: body === undefined ? {} : {'Content-Type': 'application/json'},
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const answer = await response.json();
        if (!response.ok) {
          showMessage(answer.error || `the server answered ${response.status}`, 'error');
          return null;
        }
        return answer;
      } catch (error) {
        showMessage(`no answer from the lab server (${error.message}): is python -m minigan.lab still running?`,
                    'error');
        return null;
      } finally {
        pending -= 1;
      }
    };
    queue = queue.then(run);
    return queue;
  }

  async function send(method, path, body) {
    const answer = await request(method, path, body);
    if (answer && answer.version !== undefined && !answer.unchanged) {
      render(answer);
      if (answer.notice) showMessage(answer.notice, 'notice');
    } else if (answer === null && state) {
      render(state);  // put the controls back to the settings in force
    }
    return answer;
  }

  function showMessage(text, kind) {
    const box = $('message');
    box.textContent = text;
    box.className = kind || '';
  }

  // ------------------------------------------------------------------ controls
  function settingInputs() { return document.querySelectorAll('[data-setting]'); }

  function valueOf(input) {
    if (input.type === 'checkbox') return input.checked;
    if (input.type === 'number') {
      const number = Number(input.value);
      return input.value.trim() === '' || Number.isNaN(number) ? input.value : number;  // the server explains
    }
    return input.value;
  }

  function onSettingChanged(event) {
    const input = event.target;
    const name = input.dataset.setting;
    if (name === 'dataset' && input.value === 'drawn') {
      enterDrawMode(state && state.settings.dataset === 'drawn' ? state.settings.points : []);
      return;  // the drawing is sent with "Train on drawing"
    }
    leaveDrawMode();
    send('POST', '/api/settings', {[name]: valueOf(input)});
  }

  function fillChoices(options) {
    for (const [name, values] of Object.entries(options.choices)) {
      const select = document.querySelector(`select[data-setting="${name}"]`);
      for (const value of values) {
        const option = document.createElement('option');
        option.value = value;
        option.textContent = name === 'dataset' && value === 'drawn' ? 'draw your own' : value.replace('_', ' ');
        select.appendChild(option);
      }
    }
    for (const [name, [low, high]] of Object.entries(options.bounds)) {
      const input = document.querySelector(`input[data-setting="${name}"]`);
      input.min = low;
      input.max = high;
    }
  }

  function showSettings(settings) {
    for (const input of settingInputs()) {
      if (input === document.activeElement && input.type === 'number') continue;  // being typed into
      const value = settings[input.dataset.setting];
      if (input.type === 'checkbox') input.checked = value;
      else if (!(drawing && input.dataset.setting === 'dataset')) input.value = value;
    }
  }

  function setPlaying(on) {
    playing = on;
    $('play').textContent = on ? 'Pause' : 'Play';
    $('play').classList.toggle('playing', on);
    if (on) playLoop();
  }

  async function playLoop() {
    while (playing) {
      const answer = await send('POST', '/api/step', {kind: 'full', count: Number($('speed').value)});
      if (!answer || answer.diverged) setPlaying(false);
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
  }

  // ------------------------------------------------------------------ drawing a distribution
  function enterDrawMode(points) {
    setPlaying(false);
    drawing = points.map((p) => p.slice());
    $('draw-tools').hidden = false;
    $('plane').classList.add('drawing');
    $('dataset').value = 'drawn';
    drawPlane();
  }

  function leaveDrawMode() {
    drawing = null;
    $('draw-tools').hidden = true;
    $('plane').classList.remove('drawing');
  }

  function planePoint(event) {
    const canvas = $('plane');
    const box = canvas.getBoundingClientRect();
    const e = state.extent;
    const x = ((event.clientX - box.left) / box.width) * 2 * e - e;
    const y = e - ((event.clientY - box.top) / box.height) * 2 * e;
    return [Math.round(x * 1000) / 1000, Math.round(y * 1000) / 1000];
  }

  function addPoint(event) {
    const point = planePoint(event);
    const last = drawing[drawing.length - 1];
    if (!last || Math.hypot(point[0] - last[0], point[1] - last[1]) > 0.06 * state.extent) {
      drawing.push(point);
      drawPlane();
    }
  }

  // ------------------------------------------------------------------ drawing the state
  function toCanvas(point, canvas) {
    const e = state.extent;
    return [(point[0] + e) / (2 * e) * canvas.width, (e - point[1]) / (2 * e) * canvas.height];
  }

  function heatColour(value, map) {
    const t = Math.max(-1, Math.min(1, (value - map.centre) / map.span));
    const end = t >= 0 ? COLOURS.realSide : COLOURS.fakeSide;
    return COLOURS.white.map((w, i) => Math.round(w + Math.abs(t) * (end[i] - w)));
  }

  function slopeColour(norm) {  // white at 0, orange at 1 (what WGAN-GP asks for), dark red from 2 on
    const t = Math.min(norm, 2) / 2;
    const stops = [[255, 255, 255], [245, 150, 40], [120, 10, 10]];
    const [a, b, u] = t < 0.5 ? [stops[0], stops[1], t * 2] : [stops[1], stops[2], t * 2 - 1];
    return a.map((x, i) => Math.round(x + u * (b[i] - x)));
  }

  function drawField(canvas, values, colour) {  // values: resolution^2 numbers, rows from the top
    const n = state.resolution;
    const cells = document.createElement('canvas');
    cells.width = cells.height = n;
    const image = cells.getContext('2d').createImageData(n, n);
    values.forEach((value, i) => {
      const [r, g, b] = colour(value);
      image.data.set([r, g, b, 255], i * 4);
    });
    cells.getContext('2d').putImageData(image, 0, 0);
    const ctx = canvas.getContext('2d');
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(cells, 0, 0, canvas.width, canvas.height);
  }

  function dots(ctx, canvas, points, colour, radius) {
    ctx.fillStyle = colour;
    for (const p of points) {
      const [x, y] = toCanvas(p, canvas);
      ctx.beginPath();
      ctx.arc(x, y, radius, 0, 2 * Math.PI);
      ctx.fill();
    }
  }

  function arrows(ctx, canvas, points, pushes, scale) {
    ctx.strokeStyle = COLOURS.arrow;
    ctx.lineWidth = 1;
    for (let i = 0; i < points.length; i += 2) {  // every other point: the plane stays readable
      let [dx, dy] = pushes[i].map((v) => v * scale);
      const length = Math.hypot(dx, dy);
      if (length > ARROW_CAP) { dx *= ARROW_CAP / length; dy *= ARROW_CAP / length; }
      const [x0, y0] = toCanvas(points[i], canvas);
      const [x1, y1] = toCanvas([points[i][0] + dx, points[i][1] + dy], canvas);
      const pixels = Math.hypot(x1 - x0, y1 - y0);
      if (pixels < 1) continue;
      const angle = Math.atan2(y1 - y0, x1 - x0);
      const head = Math.min(5, pixels / 2);
      ctx.beginPath();
      ctx.moveTo(x0, y0);
      ctx.lineTo(x1, y1);
      ctx.lineTo(x1 - head * Math.cos(angle - 0.5), y1 - head * Math.sin(angle - 0.5));
      ctx.moveTo(x1, y1);
      ctx.lineTo(x1 - head * Math.cos(angle + 0.5), y1 - head * Math.sin(angle + 0.5));
      ctx.stroke();
    }
  }

  function drawPlane() {
    const canvas = $('plane');
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    if (!state) return;
    const map = state.heat_map;
    if (map && $('show-map').checked && !drawing) drawField(canvas, map.values, (v) => heatColour(v, map));
    if (drawing) {
      dots(ctx, canvas, drawing, COLOURS.drawn, 3);
      $('draw-count').textContent = `${drawing.length} points`;
    } else {
      if ($('show-real').checked) dots(ctx, canvas, state.real, COLOURS.realPoint, 2);
      if ($('show-fake').checked) dots(ctx, canvas, state.fake, COLOURS.fakePoint, 2);
      if ($('show-arrows').checked && state.push.length) {
        arrows(ctx, canvas, state.fake, state.push, Number($('arrow-scale').value));
      }
      if ($('show-penalty').checked && state.penalty_points) {
        dots(ctx, canvas, state.penalty_points, COLOURS.penalty, 2.5);
      }
    }
    canvas.dataset.version = state.version;
  }

  function drawCurves(canvas, series) {  // series: [{label, colour, points: [[update, value], ...]}]
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    const all = series.flatMap((s) => s.points);
    if (all.length < 2) return;
    const xs = all.map((p) => p[0]);
    const ys = all.map((p) => p[1]);
    let [xMin, xMax, yMin, yMax] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    if (xMax === xMin) xMax = xMin + 1;
    if (yMax - yMin < 1e-9) { yMin -= 0.5; yMax += 0.5; }
    const [left, right, top, bottom] = [44, canvas.width - 6, 20, canvas.height - 18];  // legend above
    const px = (x) => left + (x - xMin) / (xMax - xMin) * (right - left);
    const py = (y) => bottom - (y - yMin) / (yMax - yMin) * (bottom - top);
    ctx.strokeStyle = '#999';
    ctx.strokeRect(left, top, right - left, bottom - top);
    ctx.fillStyle = '#444';
    ctx.font = '11px sans-serif';
    ctx.fillText(yMax.toPrecision(3), 2, top + 8);
    ctx.fillText(yMin.toPrecision(3), 2, bottom);
    ctx.fillText(`update ${xMin}`, left, canvas.height - 4);
    ctx.fillText(`${xMax}`, right - 30, canvas.height - 4);
    if (yMin < 0 && yMax > 0) {
      ctx.strokeStyle = '#ddd';
      ctx.beginPath(); ctx.moveTo(left, py(0)); ctx.lineTo(right, py(0)); ctx.stroke();
    }
    series.forEach((s, i) => {
      ctx.strokeStyle = s.colour;
      ctx.beginPath();
      s.points.forEach(([x, y], j) => (j ? ctx.lineTo(px(x), py(y)) : ctx.moveTo(px(x), py(y))));
      ctx.stroke();
      ctx.fillStyle = s.colour;
      ctx.fillText(s.label, left + i * 90, 12);
    });
  }

  function curve(player, key) {
    return state.history.filter((r) => r.player === player && r[key] !== null && r[key] !== undefined)
      .map((r) => [r.update, r[key]]);
  }

  function drawSide() {
    const losses = [
      {label: 'D loss', colour: 'rgb(20, 110, 50)', points: curve('D', 'd_loss')},
      {label: 'G loss', colour: 'rgb(90, 30, 130)', points: curve('G', 'g_loss')},
    ];
    const penalty = curve('D', 'penalty');
    if (penalty.some(([, value]) => value !== 0)) {
      losses.push({label: 'penalty', colour: 'rgb(230, 120, 0)', points: penalty});
    }
    drawCurves($('loss-curves'), losses);
    drawCurves($('d-curves'), [
      {label: 'D(real)', colour: 'rgb(20, 110, 50)', points: curve('D', 'd_real')},
      {label: 'D(fake)', colour: 'rgb(90, 30, 130)', points: curve('D', 'd_fake')},
    ]);
    const slope = $('slope');
    slope.getContext('2d').clearRect(0, 0, slope.width, slope.height);
    if (state.slope) drawField(slope, state.slope, slopeColour);
    const gp = state.settings.loss === 'wgan-gp';
    $('slope-legend').textContent = 'white 0 · orange 1 · dark red 2 or more. ' + (gp
      ? 'WGAN-GP asks for 1 at the orange points between real and fake samples.'
      : state.settings.r1_gamma > 0 ? 'R1 asks for 0 at the real points.' : '');
    showNumbers();
  }

  function showNumbers() {
    const lastOf = (player) => [...state.history].reverse().find((r) => r.player === player) || {};
    const d = lastOf('D');
    const g = lastOf('G');
    const pushes = state.push.map((p) => Math.hypot(p[0], p[1]));
    const rows = [
      ['D loss', d.d_loss], ['D(real)', d.d_real], ['D(fake)', d.d_fake], ['penalty', d.penalty],
      ['G loss', g.g_loss], ['mean |−∂ℓ/∂x| on fakes', pushes.length ? pushes.reduce((a, b) => a + b) / pushes.length
        : undefined],
    ];
    const table = $('numbers');
    table.textContent = '';
    for (const [name, value] of rows) {
      const row = table.insertRow();
      row.insertCell().textContent = name;
      row.insertCell().textContent = typeof value === 'number' ? value.toPrecision(4) : '—';
    }
  }

  function showCode() {
    const box = $('code');
    const key = JSON.stringify(state.code.map((c) => [c.file, c.line]));
    if (!state.code.length || box.dataset.key === key) return;
    box.dataset.key = key;
    box.textContent = '';
    for (const c of state.code) {
      const title = document.createElement('h3');
      title.textContent = `${c.title}  —  ${c.file}:${c.line}`;
      const code = document.createElement('pre');
      code.textContent = c.source;
      box.append(title, code);
    }
  }

  function showCommand() {
    $('command').textContent = state.command.line;
    const notes = $('command-notes');
    notes.textContent = '';
    const lines = state.command.exact ? ['This line reproduces the run exactly, number for number.']
      : state.command.notes.map((n) => `Not in the line: ${n}.`);
    for (const line of lines) notes.appendChild(document.createElement('li')).textContent = line;
  }

  function showLegend() {
    const map = state.heat_map;
    const what = map && map.kind === 'probability' ? 'σ(D(x)), D\'s probability that x is real'
      : 'D\'s raw score D(x)';
    $('legend').textContent = '';
    const parts = [
      ['swatch', 'rgb(90, 190, 120)', ` D says real, `], ['swatch', 'rgb(170, 120, 210)', ` D says fake: ${what}. `],
      ['swatch', COLOURS.realPoint, ' real '], ['swatch', COLOURS.fakePoint, ' fake (G\'s) points. '],
      ['', '', 'Arrows: −∂L_G/∂x for each fake x, where G\'s loss pushes it.'],
    ];
    if (state.penalty_points) parts.push(['swatch', COLOURS.penalty, ' WGAN-GP interpolation points.']);
    for (const [kind, colour, text] of parts) {
      if (kind) {
        const swatch = document.createElement('span');
        swatch.className = 'swatch';
        swatch.style.background = colour;
        $('legend').appendChild(swatch);
      }
      $('legend').appendChild(document.createTextNode(text));
    }
  }

  function render(newState) {
    state = newState;
    $('steps').textContent = state.updates.steps;
    $('d-updates').textContent = state.updates.d;
    $('g-updates').textContent = state.updates.g;
    const c = state.coverage;
    $('coverage').textContent = c ? `modes covered: ${c.covered} / ${c.modes}` : 'modes covered: — (no separate modes)';
    showSettings(state.settings);
    for (const id of ['step-d', 'step-g', 'step-full', 'play']) $(id).disabled = Boolean(state.diverged);
    if (state.diverged) showMessage(`${state.diverged}. Press Reset to start again (lower learning rates help).`,
                                    'error');
    drawPlane();
    drawSide();
    showLegend();
    showCode();
    showCommand();
  }

  // ------------------------------------------------------------------ wiring
  async function start() {
    const options = await request('GET', '/api/options');
    if (!options) return;
    fillChoices(options);
    const first = await request('GET', '/api/state');
    if (first) render(first);

    for (const input of settingInputs()) input.addEventListener('change', onSettingChanged);
    $('play').addEventListener('click', () => setPlaying(!playing));
    $('step-d').addEventListener('click', () => send('POST', '/api/step', {kind: 'd', count: 1}));
    $('step-g').addEventListener('click', () => send('POST', '/api/step', {kind: 'g', count: 1}));
    $('step-full').addEventListener('click', () => send('POST', '/api/step', {kind: 'full', count: 1}));
    $('reset').addEventListener('click', () => { setPlaying(false); send('POST', '/api/reset', {}); });
    $('speed').addEventListener('input', () => { $('speed-value').textContent = $('speed').value; });
    for (const id of ['show-map', 'show-real', 'show-fake', 'show-arrows', 'show-penalty', 'arrow-scale']) {
      $(id).addEventListener('change', drawPlane);
    }
    $('draw-clear').addEventListener('click', () => { drawing = []; drawPlane(); });
    $('draw-use').addEventListener('click', async () => {
      const answer = await send('POST', '/api/settings', {dataset: 'drawn', points: drawing});
      if (answer) leaveDrawMode();
      drawPlane();
    });
    $('export').addEventListener('click', async () => {
      $('export-result').textContent = 'saving...';
      const answer = await request('POST', '/api/export', {});
      $('export-result').textContent = answer ? answer.notice : '';
    });
    const plane = $('plane');
    plane.addEventListener('mousedown', (event) => { if (drawing) { pen = true; addPoint(event); } });
    plane.addEventListener('mousemove', (event) => { if (drawing && pen) addPoint(event); });
    window.addEventListener('mouseup', () => { pen = false; });
    // A notebook may train the same run from Python: follow it while the page itself is idle.
    setInterval(async () => {
      if (playing || pending || !state) return;
      const answer = await request('GET', `/api/state?since=${state.version}`);
      if (answer && !answer.unchanged && !drawing) render(answer);
    }, 1000);
  }

  start();
})();
