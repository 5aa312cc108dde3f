/* Skill matcher page: plain JavaScript, no framework, no network access beyond this server.
 *
 * Flows: (1) the person pastes a text or picks a file -> POST v1/match (JSON or multipart, with "lang": the page's
 * language) -> the MatchResult is kept in memory and rendered: occupations, covered statements (and, for typed
 * text, the text itself with the covering sentences marked from covered[].start/end), the learning plan and the
 * career moves. (2) Checklist: the person picks a card (GET v1/occupations, v1/occupations/{clause}) or starts from
 * the best match and ticks statements -> POST v1/checklist (debounced) -> the same rendering. (3) "Download report":
 * the same body to POST v1/report -> a PDF saved as a file.
 * A result in one language (plain strings) is asked for again when the language changes; a result in all three
 * ({kk, ru, en} objects, an older server) is only re-rendered. Nothing is stored except the chosen UI language
 * (localStorage). All text from the server or the CV is inserted with textContent, never as HTML.
 */
(function () {
  "use strict";

  var LANGS = ["kk", "ru", "en"];
  var STORAGE_KEY = "matcher.lang";
  var MAX_BYTES = 5 * 1024 * 1024; // the server's DocumentLimits.max_bytes; the server checks again
  var FILE_TYPES = /\.(pdf|docx|txt)$/i;
  var COVERED_PREVIEW = 6; // covered statements shown before "show all"
  var PLAN_PREVIEW = 8; // learning plan items shown before "show all"
  var CHECKLIST_DEBOUNCE_MS = 600; // ticks within this pause make one request
  var REQUEST_TIMEOUT_MS = 120000;

  // --- UI strings --------------------------------------------------------------------------------------------
  // {name} placeholders are filled by t(); plural forms are arrays indexed by Intl.PluralRules category.
  var STRINGS = {
    en: {
      docTitle: "Skill matcher · Q88100061",
      skip: "Skip to main content",
      kicker: "Professional standard Q88100061",
      title: "Which occupation fits your experience?",
      language: "Language",
      intro: "Paste your CV or upload it as a file. We compare it with the 10 occupations of the standard " +
        "“Social work and other professions of the social sphere” and show your level, what you already cover " +
        "and what to learn next.",
      formTitle: "Your CV or a vacancy",
      kindLegend: "What is the text?",
      kindCv: "My CV",
      kindVacancy: "A vacancy",
      fileLabel: "Choose a file",
      fileHint: "PDF, DOCX or TXT, up to 5 MB. You can also drag the file here.",
      fileChosen: "Chosen file: {name} ({size})",
      fileClear: "Remove file",
      or: "or",
      textLabel: "Paste the text",
      textPlaceholder: "For example: Since 2019 I have worked as a social worker in a centre for special social " +
        "services…",
      textHint: "Kazakh, Russian or English. If you choose a file, the file is used instead of this text.",
      topLabel: "Occupations to show",
      submit: "Find my occupations",
      submitBusy: "Analysing…",
      privacy: "Your text is not stored: it is analysed in memory and discarded. Contacts (phone, e‑mail, IIN) " +
        "are removed before matching.",
      footer: "Source: professional standard Q88100061 (order No. 125 of 30 April 2024). The Kazakh text is the " +
        "official one; the Russian and English texts are unofficial translations. The result is a hint, not a " +
        "qualification decision.",
      statusLoading: "The matching model is loading; this can take up to a minute. You can already prepare " +
        "your text.",
      statusReady: "The matcher is ready.",
      statusUnreachable: "The server does not answer yet. Trying again…",
      statusFailed: "The matcher could not start. Please try again later.",
      errTitle: "No result",
      errNoInput: "Paste the text of your CV or choose a file.",
      errFileTooBig: "The file is too large ({size}). The limit is 5 MB.",
      errFileType: "This type of file is not supported. Choose a PDF, DOCX or TXT file.",
      errNetwork: "Could not reach the server. Check your connection and try again.",
      errTimeout: "The server took too long to answer. Please try again.",
      errBusy: "The service is busy right now. Please try again in {seconds} s.",
      errBusyNoTime: "The service is busy right now. Please try again in a moment.",
      errUnavailable: "The matching model is still loading. Please wait a little and try again.",
      errGeneric: "The request could not be processed.",
      errBadResponse: "The server sent an answer this page cannot read.",
      errCodes: {
        empty: "The file or text is empty.",
        too_large: "The file is too large.",
        binary: "The file does not look like text.",
        encoding: "The text encoding could not be recognised.",
        pdf_encrypted: "The PDF is password-protected. Upload a copy without a password.",
        pdf_corrupt: "The PDF file is damaged or cannot be read.",
        pdf_no_text: "The PDF has no text layer (probably a scan). Upload a text PDF or DOCX, or paste the text.",
        pdf_too_many_pages: "The PDF has too many pages.",
        docx_corrupt: "The DOCX file is damaged or cannot be read.",
        docx_too_large: "The DOCX file is too large.",
        too_long: "The text is too long.",
        timeout: "Reading the file took too long.",
        unsupported_type: "This type of file is not supported. Choose a PDF, DOCX or TXT file.",
        unsupported_media_type: "This type of file is not supported. Choose a PDF, DOCX or TXT file.",
        not_ready: "The matching model is still loading. Please wait a little and try again.",
        busy: "The service is busy right now. Please try again in a moment.",
        validation: "The request was not accepted.",
        no_words: "No words were found in the text.",
        internal_error: "Something went wrong on our side. Please try again later.",
        too_many_segments: "The text is too long: it has too many sentences and lines.",
        rate_limited: "Too many requests from your address. Please wait a little and try again.",
        request_timeout: "The file took too long to arrive. Check your connection and try again.",
      },
      resultsTitle: { cv: "Closest occupations", vacancy: "Occupations this vacancy matches",
        checklist: "Occupations your ticks match" },
      outOfScopeTitle: {
        cv: "No occupation of this standard fits your text",
        vacancy: "No occupation of this standard fits this vacancy",
      },
      outOfScope: {
        cv: "Your text does not match any occupation of the standard Q88100061 “Social work and other " +
          "professions of the social sphere”, so we show no level and no learning plan for it.",
        vacancy: "This vacancy does not match any occupation of the standard Q88100061 “Social work and other " +
          "professions of the social sphere”, so we show no level and no requirements for it.",
      },
      outOfScopeHint: "If the work is in the social sphere, describe the duties in more detail and try again.",
      langNames: { kk: "Kazakh", ru: "Russian", en: "English" },
      summaryLang: "Language of the text: {lang}",
      summaryEdu: "Education: {edu}",
      summaryYears: "Experience: {years}",
      summaryManager: "Management experience: yes",
      years: ["{n} year", "{n} years"],
      yearsNone: "not stated",
      education: {
        none: "not stated", secondary: "secondary school", tvet: "technical and vocational (college)",
        applied_bachelor: "applied bachelor", bachelor: "higher (bachelor)", master: "master’s",
        phd: "doctoral (PhD)",
      },
      truncated: "The text is long: only its first part was analysed.",
      bestBadge: "Best match",
      code: "Code",
      level: { cv: "Your SBSh level", vacancy: "SBSh level asked" },
      cardLevels: "card: {range}",
      scoreLabel: "Match",
      coverage: { cv: "Requirements covered: {n} of {total}", vacancy: "Requirements named: {n} of {total}" },
      titleNames: "The title names this job: {title}",
      showDetails: "Show details",
      detailsShown: "Details shown below",
      detailsTitle: "Details: {name}",
      coveredTitle: { cv: "You already cover", vacancy: "What the vacancy asks for" },
      coveredIntro: {
        cv: "Each requirement with the sentence of your CV that shows it.",
        vacancy: "Each requirement with the sentence of the vacancy that names it.",
      },
      evidenceLabel: { cv: "From your CV:", vacancy: "From the vacancy:" },
      noneCovered: {
        cv: "We did not find sentences in your CV that clearly show this occupation’s requirements.",
        vacancy: "The vacancy does not clearly name this occupation’s requirements.",
      },
      showAll: "Show all ({n})",
      showFewer: "Show fewer",
      missingTitle: { cv: "What to learn next", vacancy: "Not mentioned in the vacancy" },
      missingIntro: {
        cv: "Requirements of this occupation your CV does not show yet, by labour function; mandatory " +
          "functions first.",
        vacancy: "Requirements of this occupation the vacancy does not name, by labour function; mandatory " +
          "functions first.",
      },
      noneMissing: "Nothing is missing: every requirement of this occupation is covered.",
      labourFunction: "Labour function {n}",
      mandatory: "mandatory",
      additional: "additional",
      skill: "Skill {n}",
      kinds: { ability: "Ability", knowledge: "Knowledge" },
      modeLabel: "How to start",
      modeCv: "From my CV or a vacancy",
      modeChecklist: "Tick what I can do",
      clTitle: "Tick what you can do",
      clIntro: "No CV needed: choose an occupation card and tick the skills and knowledge you have. The " +
        "occupation, the level and the learning plan follow from your ticks.",
      clCardLabel: "Occupation card",
      clChoose: "Choose a card…",
      clFromBest: "Start from my best match",
      clFromBestHint: "Ticks the occupation found for your CV and the requirements it covers; you can correct them.",
      clTicked: "Ticked: {n}",
      clClear: "Clear all ticks",
      clLoading: "Loading the card…",
      clUpdating: "Updating the result…",
      clUpdated: "Updated: {name}, SBSh level {level}.",
      clEmpty: "Tick at least one requirement to see your occupation, level and plan.",
      clCount: "{n} of {total} ticked",
      correctBtn: "Correct it with the checklist",
      reportBtn: "Download report (PDF)",
      reportBusy: "Preparing the report…",
      reportName: "skill-report",
      errReport: "The report could not be made.",
      summaryTicks: "Requirements ticked: {n}",
      evidenceTicked: "You ticked it in the checklist.",
      evidenceInferred: "No sentence says this plainly; your text as a whole suggests it. Say it in your own words to show it.",
      ctxTitle: "Your text, with the evidence marked",
      ctxIntro: "Marked sentences show requirements of this occupation. Point at a marked sentence, or reach it " +
        "with the Tab key, to see which.",
      ctxSupports: "This sentence shows:",
      ctxShow: "Show in my text",
      ctxFile: "For an uploaded file the evidence is shown as the quotes above. To see it marked in your text, " +
        "paste the text instead.",
      planIntro: "Your learning plan: the requirements your CV does not show yet, the most useful first, grouped " +
        "by labour function and skill; mandatory functions first.",
      planRank: "No. {n}",
      planShowAll: "Show the whole plan ({n})",
      planShowTop: "Show only the first {n}",
      movesTitle: "Career moves",
      movesIntro: "Where this occupation leads and where people come from, with what you would still need to learn.",
      moveKinds: { up: "One level up", lateral: "Same level, another field", feeder: "Where people come from" },
      moveLevels: "SBSh level: {range}",
      moveGap: "You cover {covered} of {total} requirements · to learn: {missing}",
      moveGapShort: "To learn: {missing}",
      moveTop: "The most important to learn ({n})",
      moveDone: "You already cover every requirement of this card.",
      moveNone: "The standard links this card to no other occupation.",
    },

    ru: {
      docTitle: "Подбор профессии · Q88100061",
      skip: "Перейти к основному содержанию",
      kicker: "Профессиональный стандарт Q88100061",
      title: "Какая профессия подходит вашему опыту?",
      language: "Язык",
      intro: "Вставьте текст резюме или загрузите файл. Мы сравним его с 10 профессиями стандарта " +
        "«Социальная работа и другие профессии социальной сферы» и покажем ваш уровень, что вы уже умеете " +
        "и что стоит изучить дальше.",
      formTitle: "Ваше резюме или вакансия",
      kindLegend: "Что это за текст?",
      kindCv: "Моё резюме",
      kindVacancy: "Вакансия",
      fileLabel: "Выбрать файл",
      fileHint: "PDF, DOCX или TXT, до 5 МБ. Файл можно также перетащить сюда.",
      fileChosen: "Выбран файл: {name} ({size})",
      fileClear: "Убрать файл",
      or: "или",
      textLabel: "Вставьте текст",
      textPlaceholder: "Например: с 2019 года работаю социальным работником в центре оказания специальных " +
        "социальных услуг…",
      textHint: "На казахском, русском или английском. Если выбран файл, используется файл, а не этот текст.",
      topLabel: "Сколько профессий показать",
      submit: "Подобрать профессии",
      submitBusy: "Анализируем…",
      privacy: "Ваш текст не сохраняется: он анализируется в памяти и сразу удаляется. Контакты (телефон, " +
        "e‑mail, ИИН) удаляются до сопоставления.",
      footer: "Источник: профессиональный стандарт Q88100061 (приказ № 125 от 30 апреля 2024 года). " +
        "Официальный текст — на казахском языке; русский и английский тексты — неофициальные переводы. " +
        "Результат — подсказка, а не решение о квалификации.",
      statusLoading: "Модель сопоставления загружается, это может занять до минуты. Текст можно подготовить " +
        "уже сейчас.",
      statusReady: "Сервис готов к работе.",
      statusUnreachable: "Сервер пока не отвечает. Пробуем снова…",
      statusFailed: "Сервис не смог запуститься. Попробуйте позже.",
      errTitle: "Не удалось получить результат",
      errNoInput: "Вставьте текст резюме или выберите файл.",
      errFileTooBig: "Файл слишком большой ({size}). Максимум — 5 МБ.",
      errFileType: "Этот тип файла не поддерживается. Выберите файл PDF, DOCX или TXT.",
      errNetwork: "Не удалось связаться с сервером. Проверьте подключение и попробуйте ещё раз.",
      errTimeout: "Сервер слишком долго не отвечал. Попробуйте ещё раз.",
      errBusy: "Сервис сейчас загружен. Попробуйте ещё раз через {seconds} с.",
      errBusyNoTime: "Сервис сейчас загружен. Попробуйте ещё раз чуть позже.",
      errUnavailable: "Модель сопоставления ещё загружается. Подождите немного и попробуйте снова.",
      errGeneric: "Запрос не удалось обработать.",
      errBadResponse: "Сервер прислал ответ, который страница не может прочитать.",
      errCodes: {
        empty: "Файл или текст пустой.",
        too_large: "Файл слишком большой.",
        binary: "Файл не похож на текст.",
        encoding: "Не удалось определить кодировку текста.",
        pdf_encrypted: "PDF защищён паролем. Загрузите копию без пароля.",
        pdf_corrupt: "Файл PDF повреждён или не читается.",
        pdf_no_text: "В PDF нет текстового слоя (вероятно, это скан). Загрузите текстовый PDF или DOCX " +
          "либо вставьте текст.",
        pdf_too_many_pages: "В PDF слишком много страниц.",
        docx_corrupt: "Файл DOCX повреждён или не читается.",
        docx_too_large: "Файл DOCX слишком большой.",
        too_long: "Текст слишком длинный.",
        timeout: "Чтение файла заняло слишком много времени.",
        unsupported_type: "Этот тип файла не поддерживается. Выберите файл PDF, DOCX или TXT.",
        unsupported_media_type: "Этот тип файла не поддерживается. Выберите файл PDF, DOCX или TXT.",
        not_ready: "Модель сопоставления ещё загружается. Подождите немного и попробуйте снова.",
        busy: "Сервис сейчас загружен. Попробуйте ещё раз чуть позже.",
        validation: "Запрос не принят.",
        no_words: "В тексте не найдено слов.",
        internal_error: "На сервере произошла ошибка. Попробуйте позже.",
        too_many_segments: "Текст слишком длинный: в нём слишком много предложений и строк.",
        rate_limited: "С вашего адреса пришло слишком много запросов. Подождите немного и попробуйте снова.",
        request_timeout: "Файл передавался слишком долго. Проверьте подключение и попробуйте ещё раз.",
      },
      resultsTitle: { cv: "Наиболее подходящие профессии", vacancy: "Профессии, которым соответствует вакансия",
        checklist: "Профессии по вашим отметкам" },
      outOfScopeTitle: {
        cv: "Ни одна профессия этого стандарта не подходит к вашему тексту",
        vacancy: "Ни одна профессия этого стандарта не подходит к этой вакансии",
      },
      outOfScope: {
        cv: "Ваш текст не соответствует ни одной профессии стандарта Q88100061 «Социальная работа и другие " +
          "профессии социальной сферы», поэтому мы не показываем для него ни уровень, ни план обучения.",
        vacancy: "Эта вакансия не соответствует ни одной профессии стандарта Q88100061 «Социальная работа и " +
          "другие профессии социальной сферы», поэтому мы не показываем для неё ни уровень, ни требования.",
      },
      outOfScopeHint: "Если работа относится к социальной сфере, опишите обязанности подробнее и попробуйте снова.",
      langNames: { kk: "казахский", ru: "русский", en: "английский" },
      summaryLang: "Язык текста: {lang}",
      summaryEdu: "Образование: {edu}",
      summaryYears: "Стаж: {years}",
      summaryManager: "Опыт руководства: есть",
      years: { one: "{n} год", few: "{n} года", many: "{n} лет", other: "{n} года" },
      yearsNone: "не указан",
      education: {
        none: "не указано", secondary: "среднее", tvet: "техническое и профессиональное (колледж)",
        applied_bachelor: "прикладной бакалавриат", bachelor: "высшее (бакалавриат)", master: "магистратура",
        phd: "докторантура (PhD)",
      },
      truncated: "Текст длинный: проанализирована только его первая часть.",
      bestBadge: "Лучшее совпадение",
      code: "Код",
      level: { cv: "Ваш уровень ОРК", vacancy: "Требуемый уровень ОРК" },
      cardLevels: "по карточке: {range}",
      scoreLabel: "Соответствие",
      coverage: { cv: "Охвачено требований: {n} из {total}", vacancy: "Названо требований: {n} из {total}" },
      titleNames: "Эту должность называет заголовок: {title}",
      showDetails: "Подробнее",
      detailsShown: "Подробности ниже",
      detailsTitle: "Подробно: {name}",
      coveredTitle: { cv: "Вы уже умеете и знаете", vacancy: "Что требует вакансия" },
      coveredIntro: {
        cv: "Каждое требование — с фразой из вашего резюме, которая его подтверждает.",
        vacancy: "Каждое требование — с фразой из вакансии, где оно названо.",
      },
      evidenceLabel: { cv: "Из вашего резюме:", vacancy: "Из вакансии:" },
      noneCovered: {
        cv: "В резюме не найдено фраз, которые явно подтверждают требования этой профессии.",
        vacancy: "Вакансия явно не называет требований этой профессии.",
      },
      showAll: "Показать все ({n})",
      showFewer: "Свернуть",
      missingTitle: { cv: "Что изучить дальше", vacancy: "Не упомянуто в вакансии" },
      missingIntro: {
        cv: "Требования этой профессии, которых пока не видно в вашем резюме, по трудовым функциям; " +
          "сначала обязательные.",
        vacancy: "Требования этой профессии, которые вакансия не называет, по трудовым функциям; " +
          "сначала обязательные.",
      },
      noneMissing: "Ничего не упущено: все требования этой профессии охвачены.",
      labourFunction: "Трудовая функция {n}",
      mandatory: "обязательная",
      additional: "дополнительная",
      skill: "Навык {n}",
      kinds: { ability: "Умение", knowledge: "Знание" },
      modeLabel: "С чего начать",
      modeCv: "По резюме или вакансии",
      modeChecklist: "Отметить, что я умею",
      clTitle: "Отметьте, что вы умеете",
      clIntro: "Резюме не нужно: выберите карточку профессии и отметьте умения и знания, которые у вас есть. " +
        "Профессия, уровень и план обучения обновятся по вашим отметкам.",
      clCardLabel: "Карточка профессии",
      clChoose: "Выберите карточку…",
      clFromBest: "Начать с лучшего совпадения",
      clFromBestHint: "Отметит профессию, найденную по вашему резюме, и охваченные им требования; их можно " +
        "исправить.",
      clTicked: "Отмечено: {n}",
      clClear: "Снять все отметки",
      clLoading: "Загружаем карточку…",
      clUpdating: "Обновляем результат…",
      clUpdated: "Обновлено: {name}, уровень ОРК {level}.",
      clEmpty: "Отметьте хотя бы одно требование, чтобы увидеть профессию, уровень и план.",
      clCount: "отмечено {n} из {total}",
      correctBtn: "Исправить по списку",
      reportBtn: "Скачать отчёт (PDF)",
      reportBusy: "Готовим отчёт…",
      reportName: "otchet-o-navykah",
      errReport: "Не удалось подготовить отчёт.",
      summaryTicks: "Отмечено требований: {n}",
      evidenceTicked: "Вы отметили это в списке.",
      evidenceInferred: "Прямо об этом не сказано ни в одном предложении, это следует из текста в целом. Напишите об этом своими словами, чтобы это было видно.",
      ctxTitle: "Ваш текст с отмеченными подтверждениями",
      ctxIntro: "Отмеченные фразы подтверждают требования этой профессии. Наведите указатель на фразу или " +
        "перейдите к ней клавишей Tab, чтобы увидеть, какие.",
      ctxSupports: "Эта фраза подтверждает:",
      ctxShow: "Показать в тексте",
      ctxFile: "Для загруженного файла подтверждения показаны цитатами выше. Чтобы увидеть их отмеченными в " +
        "тексте, вставьте текст вместо файла.",
      planIntro: "Ваш план обучения: требования, которых пока не видно в резюме, самые полезные — первыми; по " +
        "трудовым функциям и навыкам, сначала обязательные функции.",
      planRank: "№ {n}",
      planShowAll: "Показать весь план ({n})",
      planShowTop: "Показать только первые {n}",
      movesTitle: "Карьерные шаги",
      movesIntro: "Куда ведёт эта профессия и откуда в неё приходят — с тем, что ещё нужно изучить.",
      moveKinds: { up: "На уровень выше", lateral: "Тот же уровень, другое направление",
        feeder: "Откуда приходят в эту профессию" },
      moveLevels: "Уровень ОРК: {range}",
      moveGap: "Вы охватываете {covered} из {total} требований · изучить: {missing}",
      moveGapShort: "Изучить: {missing}",
      moveTop: "Самое важное для изучения ({n})",
      moveDone: "Вы уже охватываете все требования этой карточки.",
      moveNone: "Стандарт не связывает эту карточку с другими профессиями.",
    },

    kk: {
      docTitle: "Кәсіпті іріктеу · Q88100061",
      skip: "Негізгі мазмұнға өту",
      kicker: "Q88100061 кәсіптік стандарты",
      title: "Тәжірибеңізге қай кәсіп сәйкес келеді?",
      language: "Тіл",
      intro: "Түйіндеменің мәтінін қойыңыз немесе файлды жүктеңіз. Біз оны «Әлеуметтік жұмыс және әлеуметтік " +
        "саланың басқа да кәсіптері» стандартының 10 кәсібімен салыстырып, деңгейіңізді, қазірдің өзінде " +
        "не меңгергеніңізді және әрі қарай не үйрену керектігін көрсетеміз.",
      formTitle: "Түйіндеме немесе бос орын",
      kindLegend: "Бұл қандай мәтін?",
      kindCv: "Менің түйіндемем",
      kindVacancy: "Бос орын",
      fileLabel: "Файлды таңдау",
      fileHint: "PDF, DOCX немесе TXT, 5 МБ-қа дейін. Файлды осы жерге сүйреп әкелуге де болады.",
      fileChosen: "Таңдалған файл: {name} ({size})",
      fileClear: "Файлды алып тастау",
      or: "немесе",
      textLabel: "Мәтінді қойыңыз",
      textPlaceholder: "Мысалы: 2019 жылдан бері арнаулы әлеуметтік қызметтер көрсету орталығында әлеуметтік " +
        "жұмыскер болып істеймін…",
      textHint: "Қазақ, орыс немесе ағылшын тілінде. Файл таңдалса, осы мәтіннің орнына файл қолданылады.",
      topLabel: "Қанша кәсіп көрсетілсін",
      submit: "Кәсіптерді іріктеу",
      submitBusy: "Талдап жатырмыз…",
      privacy: "Мәтініңіз сақталмайды: ол жадта талданып, бірден жойылады. Байланыс деректері (телефон, " +
        "e‑mail, ЖСН) салыстыру алдында алынып тасталады.",
      footer: "Дереккөз: Q88100061 кәсіптік стандарты (2024 жылғы 30 сәуірдегі № 125 бұйрық). Ресми мәтін — " +
        "қазақ тіліндегі мәтін; орыс және ағылшын тіліндегі мәтіндер — ресми емес аудармалар. Нәтиже — " +
        "біліктілік туралы шешім емес, кеңес қана.",
      statusLoading: "Салыстыру моделі жүктеліп жатыр, бұған бір минутқа дейін уақыт кетуі мүмкін. Мәтінді " +
        "қазірдің өзінде дайындай беріңіз.",
      statusReady: "Қызмет жұмысқа дайын.",
      statusUnreachable: "Сервер әзірге жауап бермей тұр. Қайта қосылуға тырысып жатырмыз…",
      statusFailed: "Қызмет іске қосылмады. Кейінірек қайталап көріңіз.",
      errTitle: "Нәтиже алынбады",
      errNoInput: "Түйіндеменің мәтінін қойыңыз немесе файл таңдаңыз.",
      errFileTooBig: "Файл тым үлкен ({size}). Ең көбі — 5 МБ.",
      errFileType: "Бұл файл түріне қолдау көрсетілмейді. PDF, DOCX немесе TXT файлын таңдаңыз.",
      errNetwork: "Серверге қосылу мүмкін болмады. Байланысты тексеріп, қайталап көріңіз.",
      errTimeout: "Сервер тым ұзақ жауап бермеді. Қайталап көріңіз.",
      errBusy: "Қызмет қазір бос емес. {seconds} секундтан кейін қайталап көріңіз.",
      errBusyNoTime: "Қызмет қазір бос емес. Сәл кейінірек қайталап көріңіз.",
      errUnavailable: "Салыстыру моделі әлі жүктеліп жатыр. Сәл күтіп, қайталап көріңіз.",
      errGeneric: "Сұранысты өңдеу мүмкін болмады.",
      errBadResponse: "Сервер бұл бет оқи алмайтын жауап жіберді.",
      errCodes: {
        empty: "Файл немесе мәтін бос.",
        too_large: "Файл тым үлкен.",
        binary: "Файл мәтінге ұқсамайды.",
        encoding: "Мәтіннің кодталуын анықтау мүмкін болмады.",
        pdf_encrypted: "PDF құпиясөзбен қорғалған. Құпиясөзсіз көшірмесін жүктеңіз.",
        pdf_corrupt: "PDF файлы зақымдалған немесе оқылмайды.",
        pdf_no_text: "PDF-те мәтін қабаты жоқ (сканерленген құжат болуы мүмкін). Мәтіндік PDF не DOCX " +
          "жүктеңіз немесе мәтінді қойыңыз.",
        pdf_too_many_pages: "PDF-те беттер тым көп.",
        docx_corrupt: "DOCX файлы зақымдалған немесе оқылмайды.",
        docx_too_large: "DOCX файлы тым үлкен.",
        too_long: "Мәтін тым ұзын.",
        timeout: "Файлды оқу тым ұзаққа созылды.",
        unsupported_type: "Бұл файл түріне қолдау көрсетілмейді. PDF, DOCX немесе TXT файлын таңдаңыз.",
        unsupported_media_type: "Бұл файл түріне қолдау көрсетілмейді. PDF, DOCX немесе TXT файлын таңдаңыз.",
        not_ready: "Салыстыру моделі әлі жүктеліп жатыр. Сәл күтіп, қайталап көріңіз.",
        busy: "Қызмет қазір бос емес. Сәл кейінірек қайталап көріңіз.",
        validation: "Сұраныс қабылданбады.",
        no_words: "Мәтіннен сөздер табылмады.",
        internal_error: "Сервер жағында қате шықты. Кейінірек қайталап көріңіз.",
        too_many_segments: "Мәтін тым ұзын: онда сөйлемдер мен жолдар тым көп.",
        rate_limited: "Сіздің мекенжайыңыздан сұраныстар тым көп. Сәл күтіп, қайталап көріңіз.",
        request_timeout: "Файл тым ұзақ жіберілді. Байланысты тексеріп, қайталап көріңіз.",
      },
      resultsTitle: { cv: "Ең жақын кәсіптер", vacancy: "Бос орын сәйкес келетін кәсіптер",
        checklist: "Белгілеріңізге сәйкес кәсіптер" },
      outOfScopeTitle: {
        cv: "Мәтініңізге бұл стандарттың бірде-бір кәсібі сәйкес келмейді",
        vacancy: "Бұл бос орынға стандарттың бірде-бір кәсібі сәйкес келмейді",
      },
      outOfScope: {
        cv: "Мәтініңіз Q88100061 «Әлеуметтік жұмыс және әлеуметтік саланың басқа да кәсіптері» стандартының " +
          "ешбір кәсібіне сәйкес келмейді, сондықтан ол үшін деңгей де, оқу жоспары да көрсетілмейді.",
        vacancy: "Бұл бос орын Q88100061 «Әлеуметтік жұмыс және әлеуметтік саланың басқа да кәсіптері» " +
          "стандартының ешбір кәсібіне сәйкес келмейді, сондықтан ол үшін деңгей де, талаптар да көрсетілмейді.",
      },
      outOfScopeHint: "Егер жұмыс әлеуметтік салаға қатысты болса, міндеттерді толығырақ сипаттап, қайталап " +
        "көріңіз.",
      langNames: { kk: "қазақ тілі", ru: "орыс тілі", en: "ағылшын тілі" },
      summaryLang: "Мәтін тілі: {lang}",
      summaryEdu: "Білімі: {edu}",
      summaryYears: "Еңбек өтілі: {years}",
      summaryManager: "Басшылық тәжірибесі: бар",
      years: ["{n} жыл"],
      yearsNone: "көрсетілмеген",
      education: {
        none: "көрсетілмеген", secondary: "орта", tvet: "техникалық және кәсіптік (колледж)",
        applied_bachelor: "қолданбалы бакалавриат", bachelor: "жоғары (бакалавриат)", master: "магистратура",
        phd: "докторантура (PhD)",
      },
      truncated: "Мәтін ұзын: оның тек бірінші бөлігі талданды.",
      bestBadge: "Ең жақсы сәйкестік",
      code: "Код",
      level: { cv: "Сіздің СБШ деңгейіңіз", vacancy: "Талап етілетін СБШ деңгейі" },
      cardLevels: "карточка бойынша: {range}",
      scoreLabel: "Сәйкестік",
      coverage: { cv: "Қамтылған талаптар: {n} / {total}", vacancy: "Аталған талаптар: {n} / {total}" },
      titleNames: "Бұл лауазымды тақырып атайды: {title}",
      showDetails: "Толығырақ",
      detailsShown: "Толығырақ төменде",
      detailsTitle: "Толығырақ: {name}",
      coveredTitle: { cv: "Сіз қазірдің өзінде меңгергендер", vacancy: "Бос орынның талаптары" },
      coveredIntro: {
        cv: "Әр талап — оны растайтын түйіндемеңіздегі сөйлеммен бірге.",
        vacancy: "Әр талап — оны атайтын бос орындағы сөйлеммен бірге.",
      },
      evidenceLabel: { cv: "Түйіндемеңізден:", vacancy: "Бос орыннан:" },
      noneCovered: {
        cv: "Түйіндемеден бұл кәсіптің талаптарын анық растайтын сөйлемдер табылмады.",
        vacancy: "Бос орында бұл кәсіптің талаптары анық аталмаған.",
      },
      showAll: "Барлығын көрсету ({n})",
      showFewer: "Қысқарту",
      missingTitle: { cv: "Әрі қарай не үйрену керек", vacancy: "Бос орында аталмағандар" },
      missingIntro: {
        cv: "Бұл кәсіптің түйіндемеңізде әлі көрінбейтін талаптары, еңбек функциялары бойынша; алдымен " +
          "міндетті функциялар.",
        vacancy: "Бұл кәсіптің бос орында аталмаған талаптары, еңбек функциялары бойынша; алдымен " +
          "міндетті функциялар.",
      },
      noneMissing: "Бәрі қамтылған: бұл кәсіптің барлық талаптары көрсетілген.",
      labourFunction: "Еңбек функциясы {n}",
      mandatory: "міндетті",
      additional: "қосымша",
      skill: "Дағды {n}",
      kinds: { ability: "Машық", knowledge: "Білім" },
      modeLabel: "Неден бастау керек",
      modeCv: "Түйіндеме немесе бос орын бойынша",
      modeChecklist: "Білетінімді белгілеу",
      clTitle: "Не істей алатыныңызды белгілеңіз",
      clIntro: "Түйіндеме қажет емес: кәсіп карточкасын таңдап, өзіңізде бар машықтар мен білімдерді " +
        "белгілеңіз. Кәсіп, деңгей және оқу жоспары белгілеріңізге қарай жаңарады.",
      clCardLabel: "Кәсіп карточкасы",
      clChoose: "Карточканы таңдаңыз…",
      clFromBest: "Ең жақсы сәйкестіктен бастау",
      clFromBestHint: "Түйіндемеңіз бойынша табылған кәсіп пен ол қамтыған талаптар белгіленеді; оларды түзетуге " +
        "болады.",
      clTicked: "Белгіленгені: {n}",
      clClear: "Барлық белгіні алып тастау",
      clLoading: "Карточка жүктеліп жатыр…",
      clUpdating: "Нәтиже жаңартылып жатыр…",
      clUpdated: "Жаңартылды: {name}, СБШ деңгейі {level}.",
      clEmpty: "Кәсіпті, деңгейді және жоспарды көру үшін кемінде бір талапты белгілеңіз.",
      clCount: "{total} ішінен {n} белгіленді",
      correctBtn: "Тізім арқылы түзету",
      reportBtn: "Есепті жүктеп алу (PDF)",
      reportBusy: "Есеп дайындалып жатыр…",
      reportName: "dagdylar-esebi",
      errReport: "Есепті жасау мүмкін болмады.",
      summaryTicks: "Белгіленген талаптар: {n}",
      evidenceTicked: "Сіз мұны тізімде белгіледіңіз.",
      evidenceInferred: "Бұл туралы бірде-бір сөйлемде анық айтылмаған, мәтіннің жалпы мазмұнынан шығады. Көрінуі үшін оны өз сөзіңізбен жазыңыз.",
      ctxTitle: "Мәтініңіз, дәлелдері белгіленген",
      ctxIntro: "Белгіленген сөйлемдер осы кәсіптің талаптарын көрсетеді. Қайсысын екенін көру үшін сөйлемге " +
        "меңзерді апарыңыз немесе оған Tab пернесімен өтіңіз.",
      ctxSupports: "Бұл сөйлем көрсетеді:",
      ctxShow: "Мәтінде көрсету",
      ctxFile: "Жүктелген файл үшін дәлелдер жоғарыда үзінді ретінде көрсетілген. Оларды мәтін ішінде белгіленген " +
        "күйде көру үшін файлдың орнына мәтінді қойыңыз.",
      planIntro: "Оқу жоспарыңыз: түйіндемеңізде әлі көрінбейтін талаптар, ең пайдалысы бірінші; еңбек " +
        "функциялары мен дағдылар бойынша, алдымен міндетті функциялар.",
      planRank: "№ {n}",
      planShowAll: "Бүкіл жоспарды көрсету ({n})",
      planShowTop: "Тек алғашқы {n} талапты көрсету",
      movesTitle: "Мансаптық қадамдар",
      movesIntro: "Бұл кәсіп қайда апарады және оған қайдан келеді — әлі не үйрену керегімен бірге.",
      moveKinds: { up: "Бір деңгей жоғары", lateral: "Сол деңгей, басқа бағыт", feeder: "Бұл кәсіпке қайдан келеді" },
      moveLevels: "СБШ деңгейі: {range}",
      moveGap: "Қамтығаныңыз: {covered} / {total} талап · үйренуге: {missing}",
      moveGapShort: "Үйренуге: {missing}",
      moveTop: "Ең маңыздылары ({n})",
      moveDone: "Сіз бұл карточканың барлық талаптарын қамтисыз.",
      moveNone: "Стандарт бұл карточканы басқа кәсіптермен байланыстырмайды.",
    },
  };

  // --- state -------------------------------------------------------------------------------------------------
  var state = {
    lang: "en",
    file: null, // File chosen by the input or by drag-and-drop
    busy: false,
    result: null, // the last MatchResult (JSON)
    source: null, // what it was made from: {type: "text"|"file"|"checklist", ...} (see requestInit)
    resultLang: null, // the language of its texts when the server localised it (plain strings); null: all three
    lastMatch: null, // the last in-scope result of a CV or vacancy (the checklist can start from it)
    seq: 0, // the number of the latest request: an older answer is dropped
    selected: null, // clause of the occupation whose details are shown
    showAllCovered: false,
    showAllPlan: false,
    reportBusy: false,
    mode: "cv", // "cv" (text or file) or "checklist"
    checklist: {
      ticks: Object.create(null), // statement id -> true
      clause: null, // the card shown for ticking
      list: {}, // lang -> the cards' summaries (GET v1/occupations)
      cards: {}, // "clause:lang" -> the card (GET v1/occupations/{clause})
      timer: null,
      pending: false,
    },
  };

  var els = {};

  // --- helpers -----------------------------------------------------------------------------------------------
  function lookup(key, lang) {
    var parts = key.split(".");
    var v = STRINGS[lang];
    for (var i = 0; i < parts.length && v != null; i++) v = v[parts[i]];
    return v;
  }

  /** The UI string `key` in the current language (English as fallback), with {placeholders} filled. */
  function t(key, params) {
    var s = lookup(key, state.lang);
    if (s == null) s = lookup(key, "en");
    if (s == null) return key;
    return fill(String(s), params);
  }

  function fill(s, params) {
    if (!params) return s;
    return s.replace(/\{(\w+)\}/g, function (m, name) {
      return Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : m;
    });
  }

  /** A count with the right plural form: forms is an array [one, other] or an object keyed by plural category. */
  function plural(key, n) {
    var forms = lookup(key, state.lang) || lookup(key, "en");
    var cat = "other";
    try {
      cat = new Intl.PluralRules(state.lang).select(n);
    } catch (e) { /* old browser: "other" */ }
    var form;
    if (Array.isArray(forms)) form = forms.length === 1 ? forms[0] : (cat === "one" ? forms[0] : forms[1]);
    else form = forms[cat] || forms.other;
    return fill(form, { n: formatNumber(n) });
  }

  function formatNumber(n) {
    try {
      return new Intl.NumberFormat(state.lang, { maximumFractionDigits: 1 }).format(n);
    } catch (e) {
      return String(n);
    }
  }

  function percent(score) {
    return Math.round(Math.max(0, Math.min(1, Number(score) || 0)) * 100);
  }

  function formatPercent(score) {
    var p = percent(score);
    try {
      return new Intl.NumberFormat(state.lang, { style: "percent", maximumFractionDigits: 0 }).format(p / 100);
    } catch (e) {
      return p + "%";
    }
  }

  function formatSize(bytes) {
    var units = { kk: ["Б", "КБ", "МБ"], ru: ["Б", "КБ", "МБ"], en: ["B", "KB", "MB"] }[state.lang];
    var nbsp = "\u00a0";
    if (bytes < 1024) return bytes + nbsp + units[0];
    if (bytes < 1024 * 1024) return formatNumber(Math.round(bytes / 1024)) + nbsp + units[1];
    return formatNumber(Math.round((bytes / 1024 / 1024) * 10) / 10) + nbsp + units[2];
  }

  function levelRange(levels) {
    if (!levels || !levels.length) return "–";
    var lo = Math.min.apply(null, levels);
    var hi = Math.max.apply(null, levels);
    return lo === hi ? String(lo) : lo + "–" + hi;
  }

  /** The same text with a capital first letter (several card names and function titles start in lower case). */
  function cap(s) {
    s = String(s || "");
    return s ? s.charAt(0).toLocaleUpperCase(state.lang) + s.slice(1) : s;
  }

  /** Text of a {kk, ru, en} object in the current language, falling back to the others. */
  function tr(obj) {
    if (obj == null) return "";
    if (typeof obj === "string") return obj;
    return obj[state.lang] || obj.kk || obj.ru || obj.en || "";
  }

  /** Create an element: el("p", {class: "x", text: "..."}, [children]). Text always goes in as textContent. */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v == null || v === false) return;
        if (k === "text") node.textContent = v;
        else if (k === "class") node.className = v;
        else node.setAttribute(k, v === true ? "" : String(v));
      });
    }
    (children || []).forEach(function (c) {
      if (c == null) return;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  /** A statement's text in the current language, normalised for spotting repeats (the standard repeats e.g.
   *  "Constitution of the Republic of Kazakhstan" in several skills of one card). */
  function textKey(stmt) {
    return tr(stmt.text).toLocaleLowerCase().replace(/[«»"“”„']/g, "").replace(/[\s.;:,]+/g, " ").trim();
  }

  function dedupe(items, seen) {
    var out = [];
    seen = seen || Object.create(null);
    items.forEach(function (it) {
      var k = textKey(it);
      if (!seen[k]) {
        seen[k] = true;
        out.push(it);
      }
    });
    return out;
  }

  /** Covered and missing statements of an occupation as a person reads them: each text once (covered wins). */
  function statementsOf(occ) {
    var seen = Object.create(null);
    var covered = dedupe(occ.covered || [], seen);
    return { covered: covered, missing: dedupe(occ.missing || [], seen) };
  }

  function kindOfResult() {
    return state.result && state.result.kind === "vacancy" ? "vacancy" : "cv";
  }

  // --- language ----------------------------------------------------------------------------------------------
  function initialLang() {
    try {
      var q = new URLSearchParams(window.location.search).get("lang");
      if (q && LANGS.indexOf(q) >= 0) return q;
    } catch (e) { /* no URLSearchParams */ }
    try {
      var saved = window.localStorage.getItem(STORAGE_KEY);
      if (saved && LANGS.indexOf(saved) >= 0) return saved;
    } catch (e) { /* storage disabled */ }
    var prefs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
    for (var i = 0; i < prefs.length; i++) {
      var primary = String(prefs[i] || "").toLowerCase().split("-")[0];
      if (LANGS.indexOf(primary) >= 0) return primary;
    }
    return "en";
  }

  function setLang(lang, persist) {
    if (LANGS.indexOf(lang) < 0) return;
    state.lang = lang;
    if (persist) {
      try {
        window.localStorage.setItem(STORAGE_KEY, lang);
      } catch (e) { /* storage disabled: the choice lasts for this page only */ }
    }
    document.documentElement.lang = lang;
    document.title = t("docTitle");
    document.querySelectorAll("[data-i18n]").forEach(function (node) {
      node.textContent = t(node.getAttribute("data-i18n"));
    });
    document.querySelectorAll("[data-i18n-placeholder]").forEach(function (node) {
      node.setAttribute("placeholder", t(node.getAttribute("data-i18n-placeholder")));
    });
    els.langButtons.forEach(function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-lang") === lang ? "true" : "false");
    });
    renderBusy();
    renderFile();
    if (els.status.dataset.key) els.status.textContent = t(els.status.dataset.key);
    if (els.errorBox.dataset.message) renderError(JSON.parse(els.errorBox.dataset.message));
    relocalise();
  }

  // --- service readiness -------------------------------------------------------------------------------------
  function setStatus(key) {
    if (!key) {
      els.status.textContent = "";
      delete els.status.dataset.key;
      return;
    }
    els.status.dataset.key = key;
    els.status.textContent = t(key);
  }

  function pollReady(delay) {
    fetch("readyz", { cache: "no-store" }).then(function (resp) {
      if (resp.ok) {
        if (els.status.dataset.key) {
          setStatus("statusReady");
          window.setTimeout(function () {
            if (els.status.dataset.key === "statusReady") setStatus(null);
          }, 4000);
        }
        return null;
      }
      return resp.json().catch(function () { return {}; }).then(function (body) {
        setStatus(body && body.status === "failed" ? "statusFailed" : "statusLoading");
        window.setTimeout(function () { pollReady(Math.min(delay * 1.5, 10000)); }, delay);
      });
    }).catch(function () {
      setStatus("statusUnreachable");
      window.setTimeout(function () { pollReady(Math.min(delay * 1.5, 5000)); }, delay);
    });
  }

  // --- errors ------------------------------------------------------------------------------------------------
  // message: {key, params} for our own strings, or {code, detail} from a problem+json answer.
  function showError(message) {
    els.errorBox.dataset.message = JSON.stringify(message);
    renderError(message);
  }

  function renderError(message) {
    var box = els.errorBox;
    box.textContent = "";
    var known = message.code && lookup("errCodes." + message.code, state.lang);
    var headline = message.key ? t(message.key, message.params) : (known ? t("errCodes." + message.code) : t("errTitle"));
    box.appendChild(el("strong", { text: headline }));
    if (message.detail && message.detail !== headline) {
      // the server words its details in English: say so, for screen readers, when the text is plain ASCII
      box.appendChild(el("p", { text: message.detail, lang: /^[\x20-\x7e\s]*$/.test(message.detail) ? "en" : null }));
    }
  }

  function clearError() {
    delete els.errorBox.dataset.message;
    els.errorBox.textContent = "";
  }

  function retryAfterSeconds(resp) {
    var h = resp.headers.get("Retry-After");
    if (!h) return null;
    var n = parseInt(h, 10);
    if (!isNaN(n) && String(n) === h.trim()) return Math.max(1, n);
    var date = Date.parse(h);
    return isNaN(date) ? null : Math.max(1, Math.round((date - Date.now()) / 1000));
  }

  // --- file input and drag-and-drop --------------------------------------------------------------------------
  function chooseFile(file) {
    clearError();
    if (!file) {
      state.file = null;
      renderFile();
      return;
    }
    if (!FILE_TYPES.test(file.name)) {
      showError({ key: "errFileType" });
      resetFileInput();
      return;
    }
    if (file.size > MAX_BYTES) {
      showError({ key: "errFileTooBig", params: { size: formatSize(file.size) } });
      resetFileInput();
      return;
    }
    state.file = file;
    renderFile();
  }

  function resetFileInput() {
    state.file = null;
    els.fileInput.value = "";
    renderFile();
  }

  function renderFile() {
    if (state.file) {
      els.fileName.textContent = t("fileChosen", { name: state.file.name, size: formatSize(state.file.size) });
      els.fileChosen.hidden = false;
    } else {
      els.fileName.textContent = "";
      els.fileChosen.hidden = true;
    }
  }

  function initDrop() {
    var zone = els.dropzone;
    var depth = 0;
    function hasFiles(e) {
      return e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types || [], "Files") >= 0;
    }
    zone.addEventListener("dragenter", function (e) {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth++;
      zone.classList.add("is-over");
    });
    zone.addEventListener("dragover", function (e) {
      if (!hasFiles(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = "copy";
    });
    zone.addEventListener("dragleave", function () {
      depth = Math.max(0, depth - 1);
      if (!depth) zone.classList.remove("is-over");
    });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      depth = 0;
      zone.classList.remove("is-over");
      var files = e.dataTransfer && e.dataTransfer.files;
      if (!files || !files.length) return;
      try {
        els.fileInput.files = files; // keeps the input and the chosen file in sync where supported
      } catch (err) { /* read-only in old browsers: state.file is what is sent */ }
      chooseFile(files[0]);
      els.fileInput.focus();
    });
    // a file dropped next to the zone must not make the browser leave the page
    window.addEventListener("dragover", function (e) { if (hasFiles(e)) e.preventDefault(); });
    window.addEventListener("drop", function (e) { if (hasFiles(e)) e.preventDefault(); });
  }

  // --- requests ----------------------------------------------------------------------------------------------
  // A source is what a result was made from: {type: "text", text, kind, top}, {type: "file", file, kind, top} or
  // {type: "checklist", statements, clause, top}. The same source gives the body of /v1/match (or /v1/checklist)
  // and of /v1/report, in any language.
  function endpointOf(source) {
    return source.type === "checklist" ? "v1/checklist" : "v1/match";
  }

  function requestInit(source, lang) {
    var init = { method: "POST", headers: { Accept: "application/json, application/problem+json, application/pdf" } };
    if (source.type === "file") {
      var fd = new FormData();
      fd.append("file", source.file, source.file.name);
      fd.append("kind", source.kind);
      fd.append("top", String(source.top));
      fd.append("lang", lang);
      init.body = fd;
      return init;
    }
    init.headers["Content-Type"] = "application/json";
    var body = source.type === "checklist"
      ? { statements: source.statements, top: source.top, lang: lang }
      : { text: source.text, kind: source.kind, top: source.top, lang: lang };
    if (source.type === "checklist" && source.clause != null) body.clause = source.clause;
    init.body = JSON.stringify(body);
    return init;
  }

  /** fetch with a timeout; resolves with the Response, rejects with {key} for the page's own messages. */
  function send(url, init) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = null;
    if (controller) {
      init.signal = controller.signal;
      timer = window.setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS);
    }
    return fetch(url, init).then(function (resp) {
      if (timer) window.clearTimeout(timer);
      return resp;
    }, function (err) {
      if (timer) window.clearTimeout(timer);
      throw { key: err && err.name === "AbortError" ? "errTimeout" : "errNetwork" };
    });
  }

  function setBusy(busy) {
    state.busy = busy;
    renderBusy();
  }

  function renderBusy() {
    els.submit.disabled = state.busy;
    els.submit.setAttribute("aria-busy", state.busy ? "true" : "false");
    els.submitLabel.textContent = t(state.busy ? "submitBusy" : "submit");
    els.form.setAttribute("aria-busy", state.busy ? "true" : "false");
    els.results.setAttribute("aria-busy", state.busy || state.checklist.pending ? "true" : "false");
  }

  function selectedKind() {
    var checked = els.form.querySelector('input[name="kind"]:checked');
    return checked ? checked.value : "cv";
  }

  function onSubmit(event) {
    event.preventDefault();
    if (state.busy) return;
    clearError();
    var text = els.text.value.trim();
    if (!state.file && !text) {
      showError({ key: "errNoInput" });
      els.text.focus();
      return;
    }
    var top = parseInt(els.top.value, 10) || 3;
    var source = state.file ? { type: "file", file: state.file, kind: selectedKind(), top: top }
      : { type: "text", text: text, kind: selectedKind(), top: top };
    runMatch(source, { fresh: true });
  }

  /** POST the source to /v1/match (or /v1/checklist) in the page's language and show the answer.
   *  opts.fresh: a new result (select the best card, focus the result); otherwise the same one again (a new
   *  language, new ticks): the selected card and the focus stay. */
  function runMatch(source, opts) {
    var seq = ++state.seq;
    var lang = state.lang;
    var checklist = source.type === "checklist";
    state.checklist.pending = false;
    state.busy = false;
    if (checklist) {
      state.checklist.pending = true;
      renderBusy();
      setChecklistStatus("clUpdating");
    } else {
      setBusy(true);
    }
    return send(endpointOf(source), requestInit(source, lang))
      .then(function (resp) {
        if (seq !== state.seq) return null; // a newer request has been sent meanwhile
        if (!resp.ok) return handleProblem(resp);
        return resp.json().then(function (data) {
          if (seq !== state.seq) return;
          if (!data || !Array.isArray(data.occupations)) throw new Error("bad result");
          clearError();
          showResult(data, source, lang, opts.fresh);
          if (checklist) announceChecklist();
        });
      })
      .catch(function (err) {
        if (seq !== state.seq) return;
        if (err && err.key) {
          showError(err);
          return;
        }
        console.error(err); // eslint-disable-line no-console
        showError({ key: "errBadResponse" });
      })
      .then(function () {
        if (seq !== state.seq) return; // the newer request ends the busy state
        if (checklist) {
          state.checklist.pending = false;
          renderBusy();
          if (els.clStatus.dataset.key === "clUpdating") setChecklistStatus(null);
        } else {
          setBusy(false);
        }
      });
  }

  function showResult(data, source, lang, fresh) {
    var keep = !fresh && state.selected != null && data.occupations.some(function (o) {
      return o.clause === state.selected;
    });
    state.result = data;
    state.source = source;
    state.resultLang = isLocalised(data) ? lang : null;
    if (source.type !== "checklist" && data.in_scope !== false) state.lastMatch = { result: data, source: source };
    if (!keep) {
      state.selected = data.occupations.length ? data.occupations[0].clause : null;
      state.showAllCovered = false;
      state.showAllPlan = false;
    }
    renderResults(fresh);
    renderChecklistTools();
  }

  /** true when the server answered in one language (plain strings, ``lang`` honoured), false for {kk, ru, en}. */
  function isLocalised(data) {
    var occ = data.occupations && data.occupations[0];
    return !!occ && typeof occ.name === "string";
  }

  function handleProblem(resp) {
    return resp.text().then(function (body) {
      var problem = null;
      try {
        problem = JSON.parse(body);
      } catch (e) { /* not JSON (a proxy error page, say) */ }
      if (!problem || typeof problem !== "object") problem = {};
      var detail = typeof problem.detail === "string" ? problem.detail : "";
      if (Array.isArray(problem.detail)) { // FastAPI's default validation error shape
        detail = problem.detail.map(function (d) { return d && d.msg; }).filter(Boolean).join("; ");
      }
      if (resp.status === 429) {
        var seconds = retryAfterSeconds(resp);
        showError({ key: seconds ? "errBusy" : "errBusyNoTime", params: { seconds: seconds }, detail: detail });
        return;
      }
      if (resp.status === 503) {
        pollReady(1000); // show "loading" until the model is ready
        showError({ key: "errUnavailable", detail: detail });
        return;
      }
      showError({ code: problem.code, detail: detail || (problem.title ? String(problem.title) : t("errGeneric")) });
    });
  }

  // --- the report (PDF) --------------------------------------------------------------------------------------
  function downloadReport() {
    if (!state.source || state.reportBusy) return;
    state.reportBusy = true;
    renderReportButton();
    var lang = state.lang;
    var occ = currentOccupation();
    send("v1/report", requestInit(state.source, lang))
      .then(function (resp) {
        if (!resp.ok) return handleProblem(resp);
        var type = (resp.headers.get("Content-Type") || "").split(";")[0].trim().toLowerCase();
        if (type !== "application/pdf") throw { key: "errReport" };
        return resp.blob().then(function (blob) {
          var url = URL.createObjectURL(blob);
          var a = el("a", { href: url, download: t("reportName") + "-" + (occ ? occ.clause : "q88100061") + "-" +
            lang + ".pdf", hidden: true });
          document.body.appendChild(a);
          a.click();
          a.remove();
          window.setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
        });
      })
      .catch(function (err) {
        if (!(err && err.key)) console.error(err); // eslint-disable-line no-console
        showError(err && err.key ? err : { key: "errReport" });
      })
      .then(function () {
        state.reportBusy = false;
        renderReportButton();
      });
  }

  function renderReportButton() {
    var b = document.getElementById("report-btn");
    if (!b) return;
    b.disabled = state.reportBusy;
    b.setAttribute("aria-busy", state.reportBusy ? "true" : "false");
    b.querySelector(".btn-label").textContent = t(state.reportBusy ? "reportBusy" : "reportBtn");
  }

  // --- rendering the result ----------------------------------------------------------------------------------
  function isChecklistResult() {
    return !!state.result && state.result.kind === "checklist";
  }

  function renderResults(moveFocus) {
    var res = state.result;
    var kind = kindOfResult();
    // in_scope false: the text is not about any occupation of this standard. Say so, and show no card, level,
    // coverage or learning plan, which would read as if it fitted.
    var outside = res.in_scope === false;
    els.resultsBody.hidden = false;
    els.resultsTitle.textContent = t((outside ? "outOfScopeTitle." : "resultsTitle.") +
      (isChecklistResult() && !outside ? "checklist" : kind));
    renderSummary(res);
    renderOutOfScope(outside, kind);
    renderResultActions(outside);
    if (outside) {
      els.occList.textContent = "";
      els.occList.hidden = true;
      els.details.textContent = "";
    } else {
      els.occList.hidden = false;
      renderOccupations(res);
      renderDetails(false);
    }
    if (moveFocus) els.resultsTitle.focus();
  }

  function renderOutOfScope(outside, kind) {
    var box = els.outOfScope;
    box.textContent = "";
    box.hidden = !outside;
    if (!outside) return;
    box.appendChild(el("p", { text: t("outOfScope." + kind) }));
    box.appendChild(el("p", { text: t("outOfScopeHint") }));
  }

  function renderResultActions(outside) {
    var host = els.resultActions;
    host.textContent = "";
    host.hidden = outside;
    if (outside) return;
    var report = el("button", { type: "button", class: "btn btn-secondary", id: "report-btn", "aria-busy": "false" }, [
      el("span", { class: "spinner", "aria-hidden": "true" }),
      el("span", { class: "btn-label", text: t("reportBtn") }),
    ]);
    report.addEventListener("click", downloadReport);
    host.appendChild(report);
    if (!isChecklistResult() && kindOfResult() === "cv") {
      var correct = el("button", { type: "button", class: "btn btn-secondary", id: "correct-btn",
        text: t("correctBtn") });
      correct.addEventListener("click", startChecklistFromBest);
      host.appendChild(correct);
    }
    renderReportButton();
  }

  function renderSummary(res) {
    var parts = [];
    var p = els.summary;
    if (res.kind === "checklist") {
      p.textContent = t("summaryTicks", { n: formatNumber(state.source ? state.source.statements.length : 0) });
      return;
    }
    if (res.language) parts.push(t("summaryLang", { lang: t("langNames." + res.language) }));
    var ev = res.level_evidence || {};
    if (ev.education) parts.push(t("summaryEdu", { edu: t("education." + ev.education) }));
    var years = Number(ev.years) || 0;
    parts.push(t("summaryYears", { years: years > 0 ? plural("years", years) : t("yearsNone") }));
    if (ev.managerial) parts.push(t("summaryManager"));
    p.textContent = parts.join(" · ");
    if (res.truncated) p.appendChild(el("span", { class: "warn", text: t("truncated") }));
  }

  function renderOccupations(res) {
    var list = els.occList;
    var kind = kindOfResult();
    list.textContent = "";
    res.occupations.forEach(function (occ, i) {
      var id = "occ-" + occ.clause;
      var selected = occ.clause === state.selected;
      var st = statementsOf(occ);
      var nameNode = el("h3", { class: "occ-name", id: id + "-name" }, [cap(tr(occ.name))]);
      if (i === 0) nameNode.append(" ", el("span", { class: "badge", text: t("bestBadge") }));
      var fill = el("div", { class: "meter-fill" });
      fill.style.width = percent(occ.score) + "%";
      var btn = el("button", {
        type: "button", class: "btn btn-secondary", "aria-controls": "details", "data-clause": occ.clause,
        "aria-describedby": id + "-name",
        text: selected ? t("detailsShown") : t("showDetails"),
      });
      btn.addEventListener("click", function () { selectOccupation(occ.clause); });
      var li = el("li", { class: "occ" + (selected ? " is-selected" : ""), id: id, "aria-current": selected ? "true" : null }, [
        el("span", { class: "occ-rank", "aria-hidden": "true", text: String(i + 1) }),
        nameNode,
        el("p", { class: "occ-meta" }, [
          el("span", null, [t("code") + ": ", el("b", { text: occ.code })]),
          el("span", null, [
            t("level." + kind) + ": ", el("b", { class: "occ-level", text: String(occ.sbsh_level) }), " ",
            el("span", { class: "nowrap", text: "(" + t("cardLevels", { range: levelRange(occ.sbsh_levels) }) + ")" }),
          ]),
        ]),
        el("div", { class: "score" }, [
          el("span", { class: "score-label", id: id + "-score", text: t("scoreLabel") }),
          el("div", {
            class: "meter", role: "meter", "aria-valuemin": "0", "aria-valuemax": "100",
            "aria-valuenow": String(percent(occ.score)), "aria-valuetext": formatPercent(occ.score),
            "aria-labelledby": id + "-score " + id + "-name",
          }, [fill]),
          el("span", { class: "score-value", "aria-hidden": "true", text: formatPercent(occ.score) }),
        ]),
        el("p", { class: "occ-meta", text: t("coverage." + kind, { n: st.covered.length, total: st.covered.length + st.missing.length }) }),
        occ.title ? el("p", { class: "occ-meta occ-title", text: t("titleNames", { title: occ.title }) }) : null,
        el("div", { class: "occ-actions" }, [btn]),
      ]);
      list.appendChild(li);
    });
  }

  function selectOccupation(clause) {
    if (clause !== state.selected) {
      state.selected = clause;
      state.showAllCovered = false;
      state.showAllPlan = false;
      renderOccupations(state.result);
      renderDetails(true);
    } else {
      var title = document.getElementById("details-title");
      if (title) title.focus();
    }
  }

  function currentOccupation() {
    var occs = state.result ? state.result.occupations : [];
    for (var i = 0; i < occs.length; i++) if (occs[i].clause === state.selected) return occs[i];
    return occs[0] || null;
  }

  function renderDetails(moveFocus) {
    var host = els.details;
    host.textContent = "";
    var occ = currentOccupation();
    if (!occ) return;
    var kind = kindOfResult();
    var section = el("section", { class: "details", "aria-labelledby": "details-title" }, [
      el("h2", { class: "section-title", id: "details-title", tabindex: "-1",
        text: t("detailsTitle", { name: cap(tr(occ.name)) }) }),
      el("p", { class: "details-sub", text: t("code") + ": " + occ.code + " · " + t("level." + kind) + ": " +
        occ.sbsh_level + " (" + t("cardLevels", { range: levelRange(occ.sbsh_levels) }) + ")" }),
      renderCovered(occ, kind),
      renderContext(occ),
      kind === "vacancy" ? renderMissing(occ, kind) : renderPlan(occ),
      kind === "vacancy" ? null : renderMoves(occ),
    ]);
    host.appendChild(section);
    if (moveFocus) document.getElementById("details-title").focus();
  }

  function blockTitle(id, text, count) {
    var h = el("h3", { class: "block-title", id: id }, [text]);
    if (count != null) h.appendChild(el("span", { class: "count", text: formatNumber(count) }));
    return h;
  }

  function kindTag(kind) {
    var tag = el("span", { class: "kind-tag", text: t("kinds." + kind) });
    var frag = document.createDocumentFragment();
    frag.append(tag, " "); // a real space: screen readers and copied text do not run the words together
    return frag;
  }

  function hasContext() {
    return !!state.source && state.source.type === "text";
  }

  function renderCovered(occ, kind) {
    var covered = statementsOf(occ).covered;
    var block = el("section", { class: "block", id: "covered", "aria-labelledby": "covered-title" }, [
      blockTitle("covered-title", t("coveredTitle." + kind), covered.length),
    ]);
    if (!covered.length) {
      block.appendChild(el("p", { class: "empty", text: t("noneCovered." + kind) }));
      return block;
    }
    if (!isChecklistResult()) block.appendChild(el("p", { class: "block-intro", text: t("coveredIntro." + kind) }));
    var shown = state.showAllCovered ? covered : covered.slice(0, COVERED_PREVIEW);
    var list = el("ul", { class: "stmt-list", id: "covered-list" });
    var sourceLang = state.result.language || null;
    var context = hasContext();
    shown.forEach(function (c, i) {
      var ticked = c.source === "checklist" || !c.evidence;
      var item = el("li", { class: "stmt stmt-covered" }, [
        el("p", { class: "stmt-text", id: "cov-" + i }, [kindTag(c.kind), tr(c.text)]),
      ]);
      if (c.source === "inferred") {
        item.appendChild(el("p", { class: "ticked-note inferred-note", text: t("evidenceInferred") }));
      } else if (ticked) {
        item.appendChild(el("p", { class: "ticked-note", text: t("evidenceTicked") }));
      } else {
        var fig = el("figure", { class: "evidence" }, [
          el("figcaption", { class: "evidence-label", text: t("evidenceLabel." + kind) }),
          el("blockquote", { lang: sourceLang, text: c.evidence }),
        ]);
        if (context && c.end > c.start) {
          var show = el("button", { type: "button", class: "btn btn-link show-in-text", "data-start": c.start,
            "aria-describedby": "cov-" + i, text: t("ctxShow") });
          show.addEventListener("click", function () { focusHighlight(c.start, c.end); });
          fig.appendChild(show);
        }
        item.appendChild(fig);
      }
      list.appendChild(item);
    });
    block.appendChild(list);
    if (covered.length > COVERED_PREVIEW) {
      var more = el("button", {
        type: "button", class: "btn btn-link more", "aria-controls": "covered-list",
        "aria-expanded": state.showAllCovered ? "true" : "false",
        text: state.showAllCovered ? t("showFewer") : t("showAll", { n: covered.length }),
      });
      more.addEventListener("click", function () {
        var wasAll = state.showAllCovered;
        state.showAllCovered = !wasAll;
        var fresh = renderCovered(occ, kind);
        block.replaceWith(fresh);
        var target = wasAll ? fresh.querySelector(".more") : fresh.querySelectorAll(".stmt")[COVERED_PREVIEW];
        if (target) {
          if (!wasAll) target.setAttribute("tabindex", "-1");
          target.focus();
        }
      });
      block.appendChild(more);
    }
    return block;
  }

  // --- evidence in context: the person's own text with the covering sentences marked ---------------------------
  /** UTF-16 index of each code point offset (the server counts code points; JavaScript strings count UTF-16
   *  units, which differ only after a character outside the BMP, an emoji say). */
  function unitOffsets(text) {
    if (!/[\uD800-\uDFFF]/.test(text)) return null;
    var map = [];
    var u = 0;
    for (var ch of text) { // eslint-disable-line no-restricted-syntax
      map.push(u);
      u += ch.length;
    }
    map.push(u);
    return map;
  }

  function highlightSpans(occ, text) {
    var map = unitOffsets(text);
    var toUnit = function (n) {
      n = Math.max(0, Number(n) || 0);
      return map ? map[Math.min(n, map.length - 1)] : Math.min(n, text.length);
    };
    var byKey = Object.create(null);
    var spans = [];
    (occ.covered || []).forEach(function (c) {
      if (c.source === "checklist" || !(c.end > c.start)) return;
      var key = c.start + ":" + c.end;
      if (!byKey[key]) {
        byKey[key] = { start: toUnit(c.start), end: toUnit(c.end), cpStart: c.start, items: [], seen: {} };
        spans.push(byKey[key]);
      }
      var k = textKey(c);
      if (!byKey[key].seen[k]) {
        byKey[key].seen[k] = true;
        byKey[key].items.push(c);
      }
    });
    spans.sort(function (a, b) { return a.start - b.start || b.end - a.end; });
    var out = [];
    spans.forEach(function (s) { // overlapping spans (rare): the later one joins the earlier
      var last = out[out.length - 1];
      if (last && s.start < last.end) {
        s.items.forEach(function (it) {
          var k = textKey(it);
          if (!last.seen[k]) {
            last.seen[k] = true;
            last.items.push(it);
          }
        });
        last.end = Math.max(last.end, s.end);
      } else if (s.end > s.start) {
        out.push(s);
      }
    });
    return out;
  }

  function renderContext(occ) {
    if (isChecklistResult() || !state.source) return null;
    var block = el("section", { class: "block", id: "context", "aria-labelledby": "context-title" }, [
      blockTitle("context-title", t("ctxTitle"), null),
    ]);
    if (!hasContext()) {
      block.appendChild(el("p", { class: "empty", text: t("ctxFile") }));
      return block;
    }
    var text = state.source.text;
    var spans = highlightSpans(occ, text);
    if (!spans.length) return null;
    block.appendChild(el("p", { class: "block-intro", id: "context-intro", text: t("ctxIntro") }));
    var box = el("div", { class: "cv-text", lang: state.result.language || null });
    var pos = 0;
    spans.forEach(function (s, i) {
      if (s.start > pos) box.appendChild(document.createTextNode(text.slice(pos, s.start)));
      var tipId = "hl-tip-" + i;
      var mark = el("mark", { class: "hl", tabindex: "0", id: "hl-" + i, "data-start": s.cpStart,
        "aria-describedby": tipId, text: text.slice(s.start, s.end) });
      var list = el("ul", { class: "hl-list" });
      s.items.forEach(function (c) {
        list.appendChild(el("li", { lang: state.lang }, [kindTag(c.kind), tr(c.text)]));
      });
      var tip = el("div", { class: "hl-tip", role: "tooltip", id: tipId, hidden: true, lang: state.lang }, [
        el("span", { class: "hl-tip-title", text: t("ctxSupports") }), list,
      ]);
      mark.addEventListener("mouseenter", function () { openTip(mark, tip); });
      mark.addEventListener("focus", function () { openTip(mark, tip); });
      mark.addEventListener("mouseleave", function () { closeTipSoon(tip); });
      mark.addEventListener("blur", function () { closeTip(tip); });
      tip.addEventListener("mouseenter", function () { cancelClose(); });
      tip.addEventListener("mouseleave", function () { closeTipSoon(tip); });
      box.appendChild(mark);
      box.appendChild(tip);
      pos = s.end;
    });
    if (pos < text.length) box.appendChild(document.createTextNode(text.slice(pos)));
    block.appendChild(box);
    return block;
  }

  var tipState = { open: null, timer: null };

  function cancelClose() {
    if (tipState.timer) window.clearTimeout(tipState.timer);
    tipState.timer = null;
  }

  function openTip(mark, tip) {
    cancelClose();
    if (tipState.open && tipState.open !== tip) closeTip(tipState.open);
    tip.hidden = false;
    tipState.open = tip;
    mark.classList.add("is-active");
    // below the marked sentence, inside the text box (never wider than it: no overflow on a phone)
    var box = mark.parentElement;
    var boxRect = box.getBoundingClientRect();
    var rects = mark.getClientRects();
    var last = rects.length ? rects[rects.length - 1] : mark.getBoundingClientRect();
    var width = Math.min(box.clientWidth - 16, 26 * 16);
    tip.style.width = width + "px";
    var left = Math.min(Math.max(8, last.left - boxRect.left), box.clientWidth - width - 8);
    tip.style.left = Math.max(8, left) + "px";
    tip.style.top = (last.bottom - boxRect.top + 6) + "px";
  }

  function closeTip(tip) {
    cancelClose();
    tip.hidden = true;
    var mark = document.querySelector('[aria-describedby="' + tip.id + '"]');
    if (mark) mark.classList.remove("is-active");
    if (tipState.open === tip) tipState.open = null;
  }

  function closeTipSoon(tip) {
    cancelClose();
    tipState.timer = window.setTimeout(function () {
      var mark = document.querySelector('[aria-describedby="' + tip.id + '"]');
      if (mark && document.activeElement === mark) return; // still focused: stays open until blur or Escape
      closeTip(tip);
    }, 300);
  }

  function focusHighlight(start) {
    var mark = document.querySelector('.cv-text mark[data-start="' + start + '"]');
    if (!mark) {
      var marks = document.querySelectorAll(".cv-text mark");
      for (var i = 0; i < marks.length; i++) {
        if (Number(marks[i].getAttribute("data-start")) <= start) mark = marks[i];
      }
    }
    if (!mark) return;
    mark.scrollIntoView({ block: "center", behavior: "auto" });
    mark.focus();
  }

  // --- the learning plan -------------------------------------------------------------------------------------
  /** Items grouped by labour function (mandatory first, then by number) and skill; `decorate(item, li)` adds to
   *  each item's row. Headings start at `level`. */
  function renderGroups(items, level, decorate) {
    var groups = [];
    var byLf = {};
    items.forEach(function (m) {
      var lf = m.labour_function || { number: 0, title: {} };
      var key = String(lf.number);
      if (!byLf[key]) {
        byLf[key] = { lf: lf, skills: [], bySkill: {} };
        groups.push(byLf[key]);
      }
      var g = byLf[key];
      var sk = m.skill || { number: 0, title: {} };
      var skey = String(sk.number);
      if (!g.bySkill[skey]) {
        g.bySkill[skey] = { skill: sk, items: [] };
        g.skills.push(g.bySkill[skey]);
      }
      g.bySkill[skey].items.push(m);
    });
    groups.sort(function (a, b) {
      var ma = a.lf.mandatory === false ? 1 : 0;
      var mb = b.lf.mandatory === false ? 1 : 0;
      return ma - mb || a.lf.number - b.lf.number;
    });
    var wrap = el("div", { class: "groups" });
    groups.forEach(function (g) {
      var flag = g.lf.mandatory === false ? t("additional") : (g.lf.mandatory ? t("mandatory") : null);
      var heading = el("h" + level, { class: "lf-title" }, [
        el("span", { class: "lf-flag" + (g.lf.mandatory === false ? " is-additional" : ""),
          text: t("labourFunction", { n: g.lf.number }) + (flag ? " · " + flag : "") }),
        cap(tr(g.lf.title)),
      ]);
      var lfNode = el("div", { class: "lf" }, [heading]);
      g.skills.sort(function (a, b) { return a.skill.number - b.skill.number; });
      g.skills.forEach(function (s) {
        var ul = el("ul", { class: "stmt-list stmt-list-compact" });
        s.items.forEach(function (m) {
          var li = el("li", { class: "stmt stmt-missing" }, [
            el("p", { class: "stmt-text" }, [kindTag(m.kind), tr(m.text)]),
          ]);
          if (decorate) decorate(m, li);
          ul.appendChild(li);
        });
        lfNode.appendChild(el("div", { class: "skill" }, [
          el("h" + Math.min(level + 1, 6), { class: "skill-title",
            text: t("skill", { n: s.skill.number }) + ": " + cap(tr(s.skill.title)) }),
          ul,
        ]));
      });
      wrap.appendChild(lfNode);
    });
    return wrap;
  }

  function renderMissing(occ, kind) {
    var missing = statementsOf(occ).missing;
    var block = el("section", { class: "block", id: "missing", "aria-labelledby": "missing-title" }, [
      blockTitle("missing-title", t("missingTitle." + kind), missing.length),
    ]);
    if (!missing.length) {
      block.appendChild(el("p", { class: "empty", text: t("noneMissing") }));
      return block;
    }
    block.appendChild(el("p", { class: "block-intro", text: t("missingIntro." + kind) }));
    block.appendChild(renderGroups(missing, 4));
    return block;
  }

  /** The plan of the selected card: `learning_plan` (best first, each with its `why`), or the missing statements
   *  when the server sends no plan. The first PLAN_PREVIEW items, grouped, then "show all". */
  function planOf(occ) {
    if (Array.isArray(occ.learning_plan)) {
      // the server's plan as it is (the same words under two skills are two statements there), less any text
      // the person already covers
      var covered = Object.create(null);
      (occ.covered || []).forEach(function (c) { covered[textKey(c)] = true; });
      return occ.learning_plan.filter(function (m) { return !covered[textKey(m)]; });
    }
    return statementsOf(occ).missing;
  }

  function renderPlan(occ) {
    var plan = planOf(occ);
    var block = el("section", { class: "block", id: "plan", "aria-labelledby": "plan-title" }, [
      blockTitle("plan-title", t("missingTitle.cv"), plan.length),
    ]);
    if (!plan.length) {
      block.appendChild(el("p", { class: "empty", text: t("noneMissing") }));
      return block;
    }
    block.appendChild(el("p", { class: "block-intro", text: t("planIntro") }));
    var rank = Object.create(null);
    plan.forEach(function (m, i) { rank[m.id] = i + 1; });
    var shown = state.showAllPlan ? plan : plan.slice(0, PLAN_PREVIEW);
    var groups = renderGroups(shown, 4, function (m, li) {
      li.classList.add("plan-item");
      li.setAttribute("data-id", m.id);
      li.insertBefore(el("span", { class: "plan-rank", text: t("planRank", { n: rank[m.id] }) }), li.firstChild);
      if (m.why) li.appendChild(el("p", { class: "plan-why", text: tr(m.why) }));
    });
    groups.id = "plan-list";
    block.appendChild(groups);
    if (plan.length > PLAN_PREVIEW) {
      var more = el("button", {
        type: "button", class: "btn btn-link more", id: "plan-more", "aria-controls": "plan-list",
        "aria-expanded": state.showAllPlan ? "true" : "false",
        text: state.showAllPlan ? t("planShowTop", { n: PLAN_PREVIEW }) : t("planShowAll", { n: plan.length }),
      });
      more.addEventListener("click", function () {
        state.showAllPlan = !state.showAllPlan;
        var fresh = renderPlan(occ);
        block.replaceWith(fresh);
        fresh.querySelector("#plan-more").focus();
      });
      block.appendChild(more);
    }
    return block;
  }

  // --- career moves ------------------------------------------------------------------------------------------
  function movesOf(occ) {
    if (Array.isArray(occ.career_moves)) return occ.career_moves;
    var nx = occ.next_level; // an older server: its next level as the one move up
    if (!nx) return [];
    var adds = dedupe(nx.adds || []);
    return [{ kind: "up", clause: nx.clause, code: nx.code, name: nx.name, sbsh_levels: nx.sbsh_levels,
      gap: { covered: null, total: null, missing: adds.length, top: adds.slice(0, 5) } }];
  }

  function renderMoves(occ) {
    var moves = movesOf(occ);
    var block = el("section", { class: "block", id: "moves", "aria-labelledby": "moves-title" }, [
      blockTitle("moves-title", t("movesTitle"), null),
    ]);
    if (!moves.length) {
      block.appendChild(el("p", { class: "empty", text: t("moveNone") }));
      return block;
    }
    block.appendChild(el("p", { class: "block-intro", text: t("movesIntro") }));
    ["up", "lateral", "feeder"].forEach(function (kind) {
      var ofKind = moves.filter(function (m) { return m.kind === kind; });
      if (!ofKind.length) return;
      var list = el("ul", { class: "move-list" });
      ofKind.forEach(function (m) { list.appendChild(renderMove(m)); });
      block.appendChild(el("div", { class: "move-group", "data-kind": kind }, [
        el("h4", { class: "move-kind", text: t("moveKinds." + kind) }), list,
      ]));
    });
    return block;
  }

  function renderMove(m) {
    var gap = m.gap || {};
    var top = gap.top || [];
    var li = el("li", { class: "move", "data-clause": m.clause, "data-kind": m.kind }, [
      el("h5", { class: "move-name", text: cap(tr(m.name)) }),
      el("p", { class: "move-meta", text: t("code") + ": " + m.code + " · " + t("moveLevels", { range: levelRange(m.sbsh_levels) }) }),
    ]);
    var missing = Number(gap.missing) || 0;
    if (gap.total != null && gap.covered != null) {
      li.appendChild(el("p", { class: "move-gap" }, [el("b", { text: t("moveGap", {
        covered: formatNumber(gap.covered), total: formatNumber(gap.total), missing: formatNumber(missing) }) })]));
    } else {
      li.appendChild(el("p", { class: "move-gap" }, [el("b", { text: t("moveGapShort", { missing: formatNumber(missing) }) })]));
    }
    if (!missing) {
      li.appendChild(el("p", { class: "empty", text: t("moveDone") }));
    } else if (top.length) {
      var ul = el("ul", { class: "stmt-list stmt-list-compact" });
      top.forEach(function (s) {
        ul.appendChild(el("li", { class: "stmt stmt-missing" }, [el("p", { class: "stmt-text" }, [kindTag(s.kind), tr(s.text)])]));
      });
      li.appendChild(el("details", { class: "next-details" }, [
        el("summary", { text: t("moveTop", { n: top.length }) }), ul,
      ]));
    }
    return li;
  }

  // --- checklist mode: tick statements, the result follows ---------------------------------------------------
  function setMode(mode, moveFocus) {
    state.mode = mode === "checklist" ? "checklist" : "cv";
    els.modeButtons.forEach(function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-mode") === state.mode ? "true" : "false");
    });
    els.cvPanel.hidden = state.mode !== "cv";
    els.clPanel.hidden = state.mode !== "checklist";
    if (state.mode === "checklist") {
      loadCardList();
      renderChecklistTools();
      if (moveFocus) els.clTitle.focus();
    } else if (moveFocus) {
      document.getElementById("form-title").focus();
    }
  }

  function getJSON(url) {
    return send(url, { headers: { Accept: "application/json" } }).then(function (resp) {
      if (!resp.ok) return handleProblem(resp).then(function () { return null; });
      return resp.json();
    });
  }

  function loadCardList() {
    var lang = state.lang;
    var cl = state.checklist;
    if (cl.list[lang]) {
      renderCardSelect();
      return Promise.resolve(cl.list[lang]);
    }
    return getJSON("v1/occupations?lang=" + lang).then(function (data) {
      if (data && Array.isArray(data.occupations)) cl.list[lang] = data.occupations;
      renderCardSelect();
      return cl.list[lang];
    }).catch(function (err) { showError(err && err.key ? err : { key: "errBadResponse" }); });
  }

  function renderCardSelect() {
    var cl = state.checklist;
    var cards = cl.list[state.lang] || [];
    var sel = els.clCard;
    sel.textContent = "";
    sel.appendChild(el("option", { value: "", text: t("clChoose") }));
    cards.forEach(function (c) {
      sel.appendChild(el("option", { value: String(c.clause), text: c.clause + ". " + cap(c.name) +
        " (" + t("moveLevels", { range: levelRange(c.sbsh_levels) }) + ")" }));
    });
    sel.value = cl.clause != null ? String(cl.clause) : "";
  }

  function chooseCard(clause) {
    var cl = state.checklist;
    cl.clause = clause;
    renderCardSelect();
    if (clause == null) {
      els.clBody.textContent = "";
      return Promise.resolve();
    }
    return loadCard(clause).then(function () {
      if (Object.keys(cl.ticks).length) scheduleChecklist(0);
    });
  }

  function loadCard(clause) {
    var cl = state.checklist;
    var key = clause + ":" + state.lang;
    if (cl.cards[key]) {
      renderCard(cl.cards[key]);
      return Promise.resolve(cl.cards[key]);
    }
    els.clBody.textContent = "";
    els.clBody.appendChild(el("p", { class: "empty", text: t("clLoading") }));
    return getJSON("v1/occupations/" + clause + "?lang=" + state.lang).then(function (card) {
      if (!card || !Array.isArray(card.labour_functions)) return null;
      cl.cards[key] = card;
      if (cl.clause === clause) renderCard(card);
      return card;
    }).catch(function (err) { showError(err && err.key ? err : { key: "errBadResponse" }); });
  }

  function cardStatements(card) {
    var ids = [];
    card.labour_functions.forEach(function (lf) {
      lf.skills.forEach(function (sk) {
        sk.abilities.concat(sk.knowledge).forEach(function (s) { ids.push(s.id); });
      });
    });
    return ids;
  }

  /** The card as on paper: labour functions (mandatory first), their skills, a checkbox per statement. */
  function renderCard(card) {
    var cl = state.checklist;
    var host = els.clBody;
    host.textContent = "";
    var lfs = card.labour_functions.slice().sort(function (a, b) {
      return (a.mandatory ? 0 : 1) - (b.mandatory ? 0 : 1) || a.number - b.number;
    });
    var all = cardStatements(card);
    host.appendChild(el("p", { class: "cl-count", id: "cl-count", text: t("clCount", {
      n: formatNumber(all.filter(function (id) { return cl.ticks[id]; }).length), total: formatNumber(all.length) }) }));
    lfs.forEach(function (lf) {
      var fs = el("fieldset", { class: "cl-lf" }, [
        el("legend", { class: "lf-title" }, [
          el("span", { class: "lf-flag" + (lf.mandatory ? "" : " is-additional"),
            text: t("labourFunction", { n: lf.number }) + " · " + t(lf.mandatory ? "mandatory" : "additional") }),
          cap(lf.title),
        ]),
      ]);
      lf.skills.forEach(function (sk) {
        var sfs = el("fieldset", { class: "cl-skill skill" }, [
          el("legend", { class: "skill-title", text: t("skill", { n: sk.number }) + ": " + cap(sk.title) }),
        ]);
        [["ability", sk.abilities], ["knowledge", sk.knowledge]].forEach(function (pair) {
          pair[1].forEach(function (s) {
            var box = el("input", { type: "checkbox", value: s.id, "data-kind": pair[0] });
            box.checked = !!cl.ticks[s.id];
            box.addEventListener("change", function () { tick(s.id, box.checked); });
            sfs.appendChild(el("label", { class: "check" }, [box, el("span", null, [kindTag(pair[0]), s.text])]));
          });
        });
        fs.appendChild(sfs);
      });
      host.appendChild(fs);
    });
  }

  function tick(id, on) {
    var cl = state.checklist;
    if (on) cl.ticks[id] = true;
    else delete cl.ticks[id];
    var card = cl.cards[cl.clause + ":" + state.lang];
    var count = document.getElementById("cl-count");
    if (card && count) {
      var all = cardStatements(card);
      count.textContent = t("clCount", { n: formatNumber(all.filter(function (x) { return cl.ticks[x]; }).length),
        total: formatNumber(all.length) });
    }
    renderChecklistTools();
    scheduleChecklist(CHECKLIST_DEBOUNCE_MS);
  }

  /** Debounced: one request for a burst of ticks, and only the answer to the latest ticks is shown. */
  function scheduleChecklist(delay) {
    var cl = state.checklist;
    if (cl.timer) window.clearTimeout(cl.timer);
    cl.timer = window.setTimeout(function () {
      cl.timer = null;
      var ids = Object.keys(cl.ticks);
      if (!ids.length) {
        state.seq++; // an answer still on its way is no longer wanted
        setChecklistStatus("clEmpty");
        if (isChecklistResult()) {
          state.result = null;
          els.resultsBody.hidden = true;
        }
        return;
      }
      var top = parseInt(els.top.value, 10) || 3;
      runMatch({ type: "checklist", statements: ids, clause: cl.clause, top: top }, { fresh: false });
    }, delay);
  }

  function setChecklistStatus(key, params) {
    if (!key) {
      delete els.clStatus.dataset.key;
      els.clStatus.textContent = "";
      return;
    }
    els.clStatus.dataset.key = key;
    els.clStatus.dataset.params = params ? JSON.stringify(params) : "";
    els.clStatus.textContent = t(key, params);
  }

  function announceChecklist() {
    var occ = state.result && state.result.in_scope !== false ? state.result.occupations[0] : null;
    if (occ) setChecklistStatus("clUpdated", { name: cap(tr(occ.name)), level: occ.sbsh_level });
  }

  function renderChecklistTools() {
    if (!els.clFromBest) return;
    var n = Object.keys(state.checklist.ticks).length;
    els.clTicked.textContent = t("clTicked", { n: formatNumber(n) });
    els.clClear.disabled = !n;
    els.clFromBest.disabled = !state.lastMatch;
  }

  /** From the CV's best match: its card, with the statements the CV covers ticked (the person corrects them). */
  function startChecklistFromBest() {
    var last = state.lastMatch;
    if (!last || !last.result.occupations.length) return;
    var best = last.result.occupations[0];
    var cl = state.checklist;
    cl.ticks = Object.create(null);
    (best.covered || []).forEach(function (c) { cl.ticks[c.id] = true; });
    setMode("checklist", false);
    renderChecklistTools();
    loadCardList().then(function () { return chooseCard(best.clause); }).then(function () {
      els.clCard.focus();
    });
  }

  function clearTicks() {
    state.checklist.ticks = Object.create(null);
    var cl = state.checklist;
    var card = cl.clause != null ? cl.cards[cl.clause + ":" + state.lang] : null;
    if (card) renderCard(card);
    renderChecklistTools();
    scheduleChecklist(0);
    els.clCard.focus();
  }

  /** The language changed: a result in one language is asked for again in the new one (the same text, file or
   *  ticks); a result in all three languages is only re-rendered. */
  function relocalise() {
    if (state.mode === "checklist" || state.checklist.clause != null) {
      if (state.checklist.list[state.lang] || state.mode === "checklist") loadCardList();
      if (state.checklist.clause != null) loadCard(state.checklist.clause);
    }
    if (els.clStatus.dataset.key) {
      setChecklistStatus(els.clStatus.dataset.key,
        els.clStatus.dataset.params ? JSON.parse(els.clStatus.dataset.params) : null);
    }
    renderChecklistTools();
    if (!state.result) return;
    if (state.resultLang && state.resultLang !== state.lang && state.source) {
      renderResults(false); // the page's own words at once; the server's texts follow
      runMatch(state.source, { fresh: false });
    } else {
      renderResults(false);
    }
  }

  // --- start -------------------------------------------------------------------------------------------------
  function init() {
    els.form = document.getElementById("match-form");
    els.fileInput = document.getElementById("file-input");
    els.fileChosen = document.getElementById("file-chosen");
    els.fileName = document.getElementById("file-name");
    els.fileClear = document.getElementById("file-clear");
    els.dropzone = document.getElementById("dropzone");
    els.text = document.getElementById("text-input");
    els.top = document.getElementById("top-input");
    els.submit = document.getElementById("submit-btn");
    els.submitLabel = els.submit.querySelector(".btn-label");
    els.status = document.getElementById("service-status");
    els.errorBox = document.getElementById("error-box");
    els.results = document.getElementById("results");
    els.resultsBody = document.getElementById("results-body");
    els.resultsTitle = document.getElementById("results-title");
    els.summary = document.getElementById("results-summary");
    els.resultActions = document.getElementById("result-actions");
    els.outOfScope = document.getElementById("out-of-scope");
    els.occList = document.getElementById("occupation-list");
    els.details = document.getElementById("details");
    els.langButtons = Array.prototype.slice.call(document.querySelectorAll(".lang-btn"));
    els.modeButtons = Array.prototype.slice.call(document.querySelectorAll(".mode-btn"));
    els.cvPanel = document.getElementById("cv-panel");
    els.clPanel = document.getElementById("checklist-panel");
    els.clTitle = document.getElementById("checklist-title");
    els.clCard = document.getElementById("cl-card");
    els.clFromBest = document.getElementById("cl-from-best");
    els.clClear = document.getElementById("cl-clear");
    els.clTicked = document.getElementById("cl-ticked");
    els.clStatus = document.getElementById("cl-status");
    els.clBody = document.getElementById("cl-body");

    els.langButtons.forEach(function (b) {
      b.addEventListener("click", function () { setLang(b.getAttribute("data-lang"), true); });
    });
    els.modeButtons.forEach(function (b) {
      b.addEventListener("click", function () { setMode(b.getAttribute("data-mode"), true); });
    });
    els.fileInput.addEventListener("change", function () {
      chooseFile(els.fileInput.files && els.fileInput.files[0]);
    });
    els.fileClear.addEventListener("click", function () {
      resetFileInput();
      els.fileInput.focus();
    });
    els.form.addEventListener("submit", onSubmit);
    els.clCard.addEventListener("change", function () {
      var v = parseInt(els.clCard.value, 10);
      chooseCard(isNaN(v) ? null : v);
    });
    els.clFromBest.addEventListener("click", startChecklistFromBest);
    els.clClear.addEventListener("click", clearTicks);
    document.addEventListener("keydown", function (e) { // Escape closes an open evidence tooltip
      if (e.key === "Escape" && tipState.open) closeTip(tipState.open);
    });
    initDrop();

    setLang(initialLang(), false);
    setMode("cv", false);
    pollReady(1000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
