// Strokes on a canvas, in the drawing's own coordinates (UNITS on a side, whatever the canvas's
// size on screen): the served page's pad and an exported page's draw and read them alike.

export const UNITS = 280;

// The canvas's backing store sized to the screen's pixel density; drawing stays in UNITS.
export function fitCanvas(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const side = Math.round(canvas.getBoundingClientRect().width * ratio) || UNITS;
  if (canvas.width !== side) { canvas.width = side; canvas.height = side; }
  canvas.getContext("2d").setTransform(side / UNITS, 0, 0, side / UNITS, 0, 0);
}

// One stroke ({points: [[x, y], ...], brush}) from its point ``from`` on, round caps and joins.
export function drawStroke(ctx, stroke, from) {
  const points = stroke.points;
  ctx.strokeStyle = ctx.fillStyle = "#111111";
  ctx.lineWidth = stroke.brush;
  ctx.lineCap = ctx.lineJoin = "round";
  if (points.length === 1) {
    ctx.beginPath();
    ctx.arc(points[0][0], points[0][1], stroke.brush / 2, 0, 2 * Math.PI);
    ctx.fill();
    return;
  }
  ctx.beginPath();
  const start = Math.max(from - 1, 0);
  ctx.moveTo(points[start][0], points[start][1]);
  for (let i = start + 1; i < points.length; i++) ctx.lineTo(points[i][0], points[i][1]);
  ctx.stroke();
}

// A pointer event's place in UNITS, to a tenth. The canvas may be scaled by CSS and drawn on a
// high-density screen: map the pointer through its box on screen, not its pixel size.
export function padPoint(canvas, event) {
  const box = canvas.getBoundingClientRect();
  const x = (event.clientX - box.left) * UNITS / box.width;
  const y = (event.clientY - box.top) * UNITS / box.height;
  return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
}
