/* The video page's player: YouTube's privacy-enhanced embed, driven by the IFrame Player API.
 *
 * Without this script, or until the player is ready, every timestamp and timeline mark is a
 * plain link that opens the video on YouTube at its second. Once the player is ready, they
 * seek it instead, and the claim being discussed is highlighted as the video plays.
 */
(function () {
  "use strict";

  var container = document.getElementById("player");
  if (!container || !container.dataset.youtubeId) return;

  var videoId = container.dataset.youtubeId;
  var status = document.getElementById("player-status");
  var player = null;
  var ticker = null;
  // A claim stays "being discussed" this long when its appearance gives no end.
  var DEFAULT_SPAN = 30;
  var LOAD_TIMEOUT_MS = 15000;

  function say(message) {
    if (status) status.textContent = message;
  }

  function label(seconds) {
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = Math.floor(seconds % 60);
    return [h, m, s].map(function (n) { return (n < 10 ? "0" : "") + n; }).join(":");
  }

  // Claims in time order, with the span each one covers.
  var claims = Array.prototype.map.call(document.querySelectorAll(".moment--claim"), function (item) {
    var start = Number(item.dataset.start);
    var end = item.dataset.end ? Number(item.dataset.end) : start + DEFAULT_SPAN;
    return { item: item, start: start, end: Math.max(end, start + 1) };
  });
  var marks = {};
  Array.prototype.forEach.call(document.querySelectorAll(".timeline__mark"), function (mark) {
    marks[mark.dataset.target] = mark;
  });

  function highlight(seconds) {
    claims.forEach(function (claim) {
      var current = seconds >= claim.start && seconds < claim.end;
      claim.item.classList.toggle("is-current", current);
      if (current) claim.item.setAttribute("aria-current", "true");
      else claim.item.removeAttribute("aria-current");
      var mark = marks[claim.item.id];
      if (mark) mark.classList.toggle("is-current", current);
    });
  }

  function tick() {
    if (player && typeof player.getCurrentTime === "function") highlight(player.getCurrentTime());
  }

  function onReady() {
    document.documentElement.classList.add("player-ready");
    say("The player is ready: select a time to play the video from there.");
  }

  function onStateChange(event) {
    var playing = window.YT && event.data === window.YT.PlayerState.PLAYING;
    if (playing && ticker === null) ticker = window.setInterval(tick, 500);
    if (!playing && ticker !== null) {
      window.clearInterval(ticker);
      ticker = null;
      tick();
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-seconds]") : null;
    if (!link || !document.documentElement.classList.contains("player-ready")) return;
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    var seconds = Number(link.dataset.seconds);
    player.seekTo(seconds, true);
    player.playVideo();
    highlight(seconds);
    say("Playing from " + label(seconds) + ".");
    var box = container.getBoundingClientRect();
    if (box.bottom < 0 || box.top > window.innerHeight) {
      container.scrollIntoView({ behavior: "smooth", block: "start" });
    }
  });

  // The embed, made here so that its address is exactly the privacy-enhanced one; the API then
  // takes control of it.
  var frame = document.createElement("iframe");
  frame.id = "player-frame";
  frame.title = "YouTube video player";
  frame.allow = "autoplay; encrypted-media; picture-in-picture; fullscreen";
  frame.src = "https://www.youtube-nocookie.com/embed/" + encodeURIComponent(videoId) +
    "?enablejsapi=1&rel=0&origin=" + encodeURIComponent(window.location.origin);

  window.onYouTubeIframeAPIReady = function () {
    container.replaceChildren(frame);
    player = new window.YT.Player(frame, { events: { onReady: onReady, onStateChange: onStateChange } });
  };

  var api = document.createElement("script");
  api.src = "https://www.youtube.com/iframe_api";
  api.async = true;
  api.onerror = function () {
    say("The YouTube player could not load here; each time opens the video on YouTube instead.");
  };
  document.head.appendChild(api);

  window.setTimeout(function () {
    if (!document.documentElement.classList.contains("player-ready")) {
      say("The YouTube player has not loaded; each time opens the video on YouTube instead.");
    }
  }, LOAD_TIMEOUT_MS);
})();
