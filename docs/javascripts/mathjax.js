// The notebook's Markdown writes its maths between $ signs (inline) and $$ (display), as Jupyter
// does; MathJax 3 reads only \( \) inline unless told.
window.MathJax = {
  tex: { inlineMath: [["$", "$"], ["\\(", "\\)"]], displayMath: [["$$", "$$"], ["\\[", "\\]"]] },
};
