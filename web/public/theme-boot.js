// Applies the saved theme (or the system's) before the first paint, so a dark page never
// flashes white. A plain script file because the server's CSP forbids inline scripts.
;(function () {
  try {
    var saved = localStorage.getItem('tributary.theme')
    var dark = saved ? saved === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches
    document.documentElement.classList.toggle('dark', dark)
    document.documentElement.style.colorScheme = dark ? 'dark' : 'light'
  } catch {
    /* storage unavailable: the app applies the system theme when it starts */
  }
})()
