/* Screening page (/screen): plain JavaScript, no framework, no network access beyond this server.
 *
 * Flow: API key + vacancy (text or file) + CV files -> POST v1/screen/jobs (multipart) -> poll the job's status
 * (progress) -> GET its result (JSON rows) -> a ranked, sortable table -> CSV / XLSX downloads of the same rows
 * from the server (the export of `matcher screen`). The key is kept in memory only; the chosen UI language is the
 * only thing stored (localStorage, shared with the job seeker's page). Server text goes in with textContent.
 */
(function () {
  "use strict";

  var LANGS = ["kk", "ru", "en"];
  var STORAGE_KEY = "matcher.lang";
  var POLL_MS = 700;

  var STRINGS = {
    en: {
      docTitle: "CV screening · Q88100061",
      skip: "Skip to main content",
      kicker: "Professional standard Q88100061 · for employment centres",
      title: "Screen CVs against a vacancy",
      language: "Language",
      intro: "Give the vacancy and the CVs. Each CV is compared with the vacancy's occupation card and the " +
        "statements it requires; the ranked list can be downloaded as CSV or XLSX.",
      formTitle: "Vacancy and CVs",
      keyLabel: "API key",
      keyHint: "The employment centre's key (kept on this page only, never stored).",
      vacancyLabel: "The vacancy: paste the text",
      vacancyHint: "Or choose a file below; the file is used instead of this text.",
      vacancyFileLabel: "The vacancy as a file",
      cvsLabel: "CV files",
      cvsHint: "PDF, DOCX or TXT; choose as many as you need.",
      cvsChosen: "{n} CV files chosen",
      submit: "Screen the CVs",
      submitBusy: "Screening…",
      privacy: "The CVs are read in memory on this server and the result is deleted an hour after the " +
        "screening, or when you press \u201cForget\u201d.",
      progressTitle: "Progress",
      progressQueued: "Waiting for {n} other screening(s) to finish…",
      progressRunning: "{done} of {total} CVs screened",
      progressRate: "{rate} CVs/s",
      progressDone: "All {total} CVs screened.",
      resultsTitle: "Ranked CVs",
      summary: "Vacancy: card {clause}, SBSh level {level}, {required} required statements. {n} CVs, {errors} " +
        "could not be read.",
      downloadCsv: "Download CSV",
      downloadXlsx: "Download XLSX",
      forget: "Forget this screening",
      forgotten: "The screening has been deleted from the server.",
      tableCaption: "Ranked CVs; the column buttons sort the table",
      colRank: "Rank", colId: "CV", colFit: "Fit", colLevel: "Level", colCovered: "Covered / required",
      colReasons: "Reasons",
      outOfScope: "not social-sphere work",
      unreadable: "could not be read",
      footer: "Source: professional standard Q88100061. The result is a hint for the employment centre, not a " +
        "qualification decision.",
      backLink: "The job seeker's page",
      errTitle: "No result",
      errNoKey: "Enter the API key.",
      errNoVacancy: "Paste the vacancy or choose its file.",
      errNoCvs: "Choose at least one CV file.",
      errNetwork: "Could not reach the server. Check your connection and try again.",
      errGeneric: "The request could not be processed.",
      errCodes: {
        unauthorized: "The API key is not valid.",
        screen_disabled: "Screening is switched off on this server (no API key is configured).",
        too_many_cvs: "Too many CVs for one screening.",
        too_large: "The files are too large together.",
        busy: "The server is busy with other screenings. Please try again in a minute.",
        not_ready: "The matching model is still loading. Please wait a little and try again.",
        no_words: "No words were found in the vacancy.",
        empty: "The vacancy is empty.",
      },
    },
    ru: {
      docTitle: "Отбор резюме · Q88100061",
      skip: "Перейти к содержанию",
      kicker: "Профессиональный стандарт Q88100061 · для центров занятости",
      title: "Отбор резюме под вакансию",
      language: "Язык",
      intro: "Укажите вакансию и резюме. Каждое резюме сравнивается с карточкой профессии вакансии и требуемыми " +
        "положениями; ранжированный список можно скачать в CSV или XLSX.",
      formTitle: "Вакансия и резюме",
      keyLabel: "API-ключ",
      keyHint: "Ключ центра занятости (хранится только на этой странице, никуда не сохраняется).",
      vacancyLabel: "Вакансия: вставьте текст",
      vacancyHint: "Или выберите файл ниже; тогда используется файл, а не этот текст.",
      vacancyFileLabel: "Вакансия файлом",
      cvsLabel: "Файлы резюме",
      cvsHint: "PDF, DOCX или TXT; сколько нужно.",
      cvsChosen: "Выбрано файлов резюме: {n}",
      submit: "Отобрать резюме",
      submitBusy: "Идёт отбор…",
      privacy: "Резюме читаются в памяти этого сервера; результат удаляется через час после отбора или по " +
        "кнопке «Удалить».",
      progressTitle: "Ход работы",
      progressQueued: "Ожидание завершения других отборов: {n}…",
      progressRunning: "Обработано резюме: {done} из {total}",
      progressRate: "{rate} резюме/с",
      progressDone: "Все {total} резюме обработаны.",
      resultsTitle: "Резюме по рангу",
      summary: "Вакансия: карточка {clause}, уровень ОРК {level}, требуемых положений: {required}. Резюме: {n}, " +
        "не прочитано: {errors}.",
      downloadCsv: "Скачать CSV",
      downloadXlsx: "Скачать XLSX",
      forget: "Удалить этот отбор",
      forgotten: "Отбор удалён с сервера.",
      tableCaption: "Резюме по рангу; кнопки в заголовках сортируют таблицу",
      colRank: "Ранг", colId: "Резюме", colFit: "Соответствие", colLevel: "Уровень",
      colCovered: "Покрыто / требуется", colReasons: "Причины",
      outOfScope: "не социальная сфера",
      unreadable: "не удалось прочитать",
      footer: "Источник: профессиональный стандарт Q88100061. Результат — подсказка для центра занятости, а не " +
        "решение о квалификации.",
      backLink: "Страница для соискателя",
      errTitle: "Нет результата",
      errNoKey: "Введите API-ключ.",
      errNoVacancy: "Вставьте вакансию или выберите её файл.",
      errNoCvs: "Выберите хотя бы один файл резюме.",
      errNetwork: "Сервер недоступен. Проверьте подключение и попробуйте снова.",
      errGeneric: "Запрос не удалось обработать.",
      errCodes: {
        unauthorized: "API-ключ недействителен.",
        screen_disabled: "Отбор на этом сервере отключён (API-ключ не настроен).",
        too_many_cvs: "Слишком много резюме для одного отбора.",
        too_large: "Файлы вместе слишком большие.",
        busy: "Сервер занят другими отборами. Попробуйте через минуту.",
        not_ready: "Модель ещё загружается. Подождите немного и попробуйте снова.",
        no_words: "В вакансии не найдено слов.",
        empty: "Вакансия пуста.",
      },
    },
    kk: {
      docTitle: "Түйіндемелерді іріктеу · Q88100061",
      skip: "Негізгі мазмұнға өту",
      kicker: "Q88100061 кәсіптік стандарты · жұмыспен қамту орталықтары үшін",
      title: "Түйіндемелерді бос орынға іріктеу",
      language: "Тіл",
      intro: "Бос орын мен түйіндемелерді беріңіз. Әр түйіндеме бос орынның кәсіп карточкасымен және талап " +
        "етілетін ережелермен салыстырылады; ретті тізімді CSV немесе XLSX түрінде жүктеп алуға болады.",
      formTitle: "Бос орын және түйіндемелер",
      keyLabel: "API кілті",
      keyHint: "Жұмыспен қамту орталығының кілті (тек осы бетте сақталады, ешқайда жазылмайды).",
      vacancyLabel: "Бос орын: мәтінді қойыңыз",
      vacancyHint: "Немесе төменнен файл таңдаңыз; онда осы мәтіннің орнына файл қолданылады.",
      vacancyFileLabel: "Бос орын файлмен",
      cvsLabel: "Түйіндеме файлдары",
      cvsHint: "PDF, DOCX немесе TXT; қанша қажет болса, сонша.",
      cvsChosen: "Таңдалған түйіндеме файлдары: {n}",
      submit: "Түйіндемелерді іріктеу",
      submitBusy: "Іріктелуде…",
      privacy: "Түйіндемелер осы сервердің жадында оқылады; нәтиже іріктеуден бір сағат өткен соң немесе " +
        "«Жою» батырмасымен жойылады.",
      progressTitle: "Барысы",
      progressQueued: "Басқа іріктеулердің аяқталуы күтілуде: {n}…",
      progressRunning: "Өңделген түйіндемелер: {done} / {total}",
      progressRate: "{rate} түйіндеме/с",
      progressDone: "Барлық {total} түйіндеме өңделді.",
      resultsTitle: "Ретті түйіндемелер",
      summary: "Бос орын: {clause}-карточка, СБШ деңгейі {level}, талап етілетін ережелер: {required}. " +
        "Түйіндемелер: {n}, оқылмағаны: {errors}.",
      downloadCsv: "CSV жүктеу",
      downloadXlsx: "XLSX жүктеу",
      forget: "Бұл іріктеуді жою",
      forgotten: "Іріктеу серверден жойылды.",
      tableCaption: "Ретті түйіндемелер; тақырыптағы батырмалар кестені сұрыптайды",
      colRank: "Орын", colId: "Түйіндеме", colFit: "Сәйкестік", colLevel: "Деңгей",
      colCovered: "Қамтылғаны / талап", colReasons: "Себептер",
      outOfScope: "әлеуметтік сала емес",
      unreadable: "оқылмады",
      footer: "Дереккөз: Q88100061 кәсіптік стандарты. Нәтиже — жұмыспен қамту орталығына арналған кеңес, " +
        "біліктілік туралы шешім емес.",
      backLink: "Жұмыс іздеушіге арналған бет",
      errTitle: "Нәтиже жоқ",
      errNoKey: "API кілтін енгізіңіз.",
      errNoVacancy: "Бос орынды қойыңыз немесе оның файлын таңдаңыз.",
      errNoCvs: "Кемінде бір түйіндеме файлын таңдаңыз.",
      errNetwork: "Серверге қосылу мүмкін болмады. Байланысты тексеріп, қайталап көріңіз.",
      errGeneric: "Сұрауды өңдеу мүмкін болмады.",
      errCodes: {
        unauthorized: "API кілті жарамсыз.",
        screen_disabled: "Бұл серверде іріктеу өшірулі (API кілті бапталмаған).",
        too_many_cvs: "Бір іріктеу үшін түйіндемелер тым көп.",
        too_large: "Файлдар бірге тым үлкен.",
        busy: "Сервер басқа іріктеулермен бос емес. Бір минуттан соң қайталаңыз.",
        not_ready: "Модель әлі жүктелуде. Сәл күтіп, қайталаңыз.",
        no_words: "Бос орында сөз табылмады.",
        empty: "Бос орын бос.",
      },
    },
  };

  var state = { lang: "en", key: "", job: null, result: null, sort: { key: "rank", dir: 1 }, busy: false };
  var els = {};

  function t(name, vars) {
    var table = STRINGS[state.lang] || STRINGS.en;
    var value = name.split(".").reduce(function (obj, part) { return obj && obj[part]; }, table);
    if (value === undefined) {
      value = name.split(".").reduce(function (obj, part) { return obj && obj[part]; }, STRINGS.en);
    }
    if (typeof value !== "string") { return name; }
    return value.replace(/\{(\w+)\}/g, function (_, k) { return vars && k in vars ? String(vars[k]) : ""; });
  }

  function setLang(lang, persist) {
    state.lang = LANGS.indexOf(lang) >= 0 ? lang : "en";
    document.documentElement.lang = state.lang;
    document.title = t("docTitle");
    if (persist) {
      try { window.localStorage.setItem(STORAGE_KEY, state.lang); } catch (e) { /* private mode */ }
    }
    document.querySelectorAll("[data-i18n]").forEach(function (node) {
      node.textContent = t(node.getAttribute("data-i18n"));
    });
    els.langButtons.forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-lang") === state.lang));
    });
    updateChosen();
    if (state.job) { renderProgress(state.job); }
    if (state.result) { renderResult(); }
    setBusy(state.busy);
  }

  function initialLang() {
    try {
      var saved = window.localStorage.getItem(STORAGE_KEY);
      if (saved && LANGS.indexOf(saved) >= 0) { return saved; }
    } catch (e) { /* ignore */ }
    var nav = (navigator.language || "en").slice(0, 2).toLowerCase();
    return LANGS.indexOf(nav) >= 0 ? nav : "en";
  }

  function showError(message) {
    els.errorBox.textContent = "";
    if (!message) { return; }
    var strong = document.createElement("strong");
    strong.textContent = t("errTitle");
    var p = document.createElement("p");
    p.textContent = message;
    els.errorBox.appendChild(strong);
    els.errorBox.appendChild(p);
  }

  function setBusy(busy) {
    state.busy = busy;
    els.submit.disabled = busy;
    els.submit.setAttribute("aria-busy", String(busy));
    els.submit.querySelector(".btn-label").textContent = t(busy ? "submitBusy" : "submit");
  }

  function updateChosen() {
    var n = els.cvFiles.files ? els.cvFiles.files.length : 0;
    els.cvsChosen.textContent = n ? t("cvsChosen", { n: n }) : "";
  }

  function problemMessage(body) {
    if (body && body.code && STRINGS[state.lang].errCodes[body.code]) { return t("errCodes." + body.code); }
    if (body && body.detail) { return body.detail; }
    return t("errGeneric");
  }

  function api(path, options) {
    options = options || {};
    options.headers = Object.assign({ "X-API-Key": state.key }, options.headers || {});
    return fetch(path, options);
  }

  function readProblem(response) {
    return response.json().catch(function () { return null; }).then(function (body) {
      throw new Error(problemMessage(body));
    });
  }

  function submit(event) {
    event.preventDefault();
    showError("");
    state.key = els.key.value.trim();
    var vacancyFile = els.vacancyFile.files && els.vacancyFile.files[0];
    var vacancyText = els.vacancy.value.trim();
    var files = els.cvFiles.files ? Array.prototype.slice.call(els.cvFiles.files) : [];
    if (!state.key) { showError(t("errNoKey")); els.key.focus(); return; }
    if (!vacancyFile && !vacancyText) { showError(t("errNoVacancy")); els.vacancy.focus(); return; }
    if (!files.length) { showError(t("errNoCvs")); els.cvFiles.focus(); return; }
    var form = new FormData();
    if (vacancyFile) { form.append("vacancy", vacancyFile, vacancyFile.name); }
    else { form.append("vacancy", new Blob([vacancyText], { type: "text/plain" }), "vacancy.txt"); }
    files.forEach(function (f) { form.append("cvs", f, f.name); });
    state.result = null;
    els.resultsBody.hidden = true;
    setBusy(true);
    api("v1/screen/jobs", { method: "POST", body: form }).then(function (response) {
      if (response.status !== 202) { return readProblem(response); }
      return response.json().then(function (job) {
        state.job = job;
        els.progressBox.hidden = false;
        renderProgress(job);
        poll(job.id);
      });
    }).catch(function (err) {
      setBusy(false);
      showError(err && err.message && err.message !== "Failed to fetch" ? err.message : t("errNetwork"));
    });
  }

  function poll(id) {
    api("v1/screen/jobs/" + encodeURIComponent(id)).then(function (response) {
      if (!response.ok) { return readProblem(response); }
      return response.json().then(function (job) {
        state.job = job;
        renderProgress(job);
        if (job.status === "done") { return loadResult(id); }
        if (job.status === "failed") {
          setBusy(false);
          showError(problemMessage(job.error));
          return null;
        }
        window.setTimeout(function () { poll(id); }, POLL_MS);
        return null;
      });
    }).catch(function (err) {
      setBusy(false);
      showError(err && err.message ? err.message : t("errNetwork"));
    });
  }

  function renderProgress(job) {
    var p = job.progress;
    els.progressBar.max = Math.max(1, p.total);
    els.progressBar.value = p.done;
    var text;
    if (job.status === "queued") { text = t("progressQueued", { n: job.queued_before + 1 }); }
    else if (job.status === "done") { text = t("progressDone", { total: p.total }); }
    else {
      text = t("progressRunning", { done: p.done, total: p.total });
      if (p.cvs_per_second) { text += " · " + t("progressRate", { rate: p.cvs_per_second.toFixed(2) }); }
    }
    els.progressText.textContent = text;
  }

  function loadResult(id) {
    return api("v1/screen/jobs/" + encodeURIComponent(id) + "/result").then(function (response) {
      if (!response.ok) { return readProblem(response); }
      return response.json().then(function (result) {
        state.result = result;
        state.sort = { key: "rank", dir: 1 };
        setBusy(false);
        renderResult();
        els.resultsBody.hidden = false;
        els.resultsTitle.focus();
      });
    });
  }

  function sortedRows() {
    var key = state.sort.key, dir = state.sort.dir;
    return state.result.rows.slice().sort(function (a, b) {
      var x = a[key], y = b[key];
      var c = typeof x === "string" ? x.localeCompare(y) : x - y;
      return c !== 0 ? dir * c : a.rank - b.rank;
    });
  }

  function cell(tr, text, cls) {
    var td = document.createElement("td");
    if (cls) { td.className = cls; }
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }

  function renderResult() {
    var res = state.result;
    var errors = res.rows.filter(function (r) { return r.error; }).length;
    els.summary.textContent = t("summary", { clause: res.vacancy.clause, level: res.vacancy.sbsh_level,
      required: res.required.length, n: res.rows.length, errors: errors });
    els.rows.textContent = "";
    sortedRows().forEach(function (r) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-id", r.id);
      if (r.error) { tr.className = "is-error"; }
      cell(tr, String(r.rank), "num");
      var idCell = cell(tr, r.id, "cv-id");
      if (r.error) {
        var note = document.createElement("span");
        note.className = "badge";
        note.textContent = t("unreadable");
        idCell.appendChild(document.createTextNode(" "));
        idCell.appendChild(note);
      } else if (!r.in_scope) {
        var scope = document.createElement("span");
        scope.className = "badge";
        scope.textContent = t("outOfScope");
        idCell.appendChild(document.createTextNode(" "));
        idCell.appendChild(scope);
      }
      cell(tr, r.fit.toFixed(4), "num fit");
      cell(tr, r.error ? "–" : String(r.sbsh_level), "num");
      cell(tr, r.required_covered + " / " + r.required_total, "num");
      var reasons = cell(tr, "", "reasons");
      var list = document.createElement("ul");
      (r.error ? [r.error] : r.reasons).forEach(function (reason) {
        var li = document.createElement("li");
        li.textContent = reason;
        list.appendChild(li);
      });
      reasons.appendChild(list);
      els.rows.appendChild(tr);
    });
    els.table.querySelectorAll("th[aria-sort]").forEach(function (th) {
      var key = th.querySelector("button").getAttribute("data-sort");
      th.setAttribute("aria-sort", key === state.sort.key ? (state.sort.dir > 0 ? "ascending" : "descending")
        : "none");
    });
  }

  function onSort(event) {
    var button = event.target.closest("button[data-sort]");
    if (!button || !state.result) { return; }
    var key = button.getAttribute("data-sort");
    if (state.sort.key === key) { state.sort.dir = -state.sort.dir; }
    else { state.sort = { key: key, dir: key === "rank" || key === "id" ? 1 : -1 }; }
    renderResult();
  }

  function download(format) {
    if (!state.job) { return; }
    api("v1/screen/jobs/" + encodeURIComponent(state.job.id) + "/result?format=" + format).then(function (r) {
      if (!r.ok) { return readProblem(r); }
      return r.blob().then(function (blob) {
        var a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = "screening." + format;
        document.body.appendChild(a);
        a.click();
        window.setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
      });
    }).catch(function (err) { showError(err && err.message ? err.message : t("errNetwork")); });
  }

  function forget() {
    if (!state.job) { return; }
    api("v1/screen/jobs/" + encodeURIComponent(state.job.id), { method: "DELETE" }).then(function () {
      state.job = null;
      state.result = null;
      els.resultsBody.hidden = true;
      els.progressBox.hidden = true;
      els.progressText.textContent = t("forgotten");
    });
  }

  function init() {
    els.form = document.getElementById("screen-form");
    els.key = document.getElementById("key-input");
    els.vacancy = document.getElementById("vacancy-input");
    els.vacancyFile = document.getElementById("vacancy-file");
    els.cvFiles = document.getElementById("cv-files");
    els.cvsChosen = document.getElementById("cvs-chosen");
    els.submit = document.getElementById("submit-btn");
    els.errorBox = document.getElementById("error-box");
    els.progressBox = document.getElementById("progress-box");
    els.progressBar = document.getElementById("progress-bar");
    els.progressText = document.getElementById("progress-text");
    els.resultsBody = document.getElementById("results-body");
    els.resultsTitle = document.getElementById("results-title");
    els.summary = document.getElementById("results-summary");
    els.table = document.getElementById("results-table");
    els.rows = document.getElementById("results-rows");
    els.langButtons = Array.prototype.slice.call(document.querySelectorAll(".lang-btn"));
    els.langButtons.forEach(function (b) {
      b.addEventListener("click", function () { setLang(b.getAttribute("data-lang"), true); });
    });
    els.form.addEventListener("submit", submit);
    els.cvFiles.addEventListener("change", updateChosen);
    els.table.querySelector("thead").addEventListener("click", onSort);
    document.getElementById("download-csv").addEventListener("click", function () { download("csv"); });
    document.getElementById("download-xlsx").addEventListener("click", function () { download("xlsx"); });
    document.getElementById("forget-btn").addEventListener("click", forget);
    setLang(initialLang(), false);
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); }
  else { init(); }
})();
