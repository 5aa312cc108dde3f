/* Skill matcher page: plain JavaScript, no framework, no network access beyond this server.
 *
 * Flow: the person pastes a text or picks a file -> POST v1/match (JSON or multipart) -> the MatchResult is kept in
 * memory and rendered. The result carries every statement in kk/ru/en, so switching the language re-renders it
 * without a new request. Nothing is stored except the chosen UI language (localStorage).
 * All text from the server or the CV is inserted with textContent, never as HTML.
 */
(function () {
  "use strict";

  var LANGS = ["kk", "ru", "en"];
  var STORAGE_KEY = "matcher.lang";
  var MAX_BYTES = 5 * 1024 * 1024; // the server's DocumentLimits.max_bytes; the server checks again
  var FILE_TYPES = /\.(pdf|docx|txt)$/i;
  var COVERED_PREVIEW = 6; // covered statements shown before "show all"
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
      resultsTitle: { cv: "Closest occupations", vacancy: "Occupations this vacancy matches" },
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
      nextTitle: "Next level",
      nextIntro: "The occupation one step up in this career path.",
      nextAdds: "New requirements: {n}",
      nextSummary: "Show the new requirements ({n})",
      nextLevels: "SBSh level: {range}",
      noNext: "This is the highest level of this career path in the standard.",
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
      resultsTitle: { cv: "Наиболее подходящие профессии", vacancy: "Профессии, которым соответствует вакансия" },
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
      nextTitle: "Следующий уровень",
      nextIntro: "Профессия на ступень выше в этой карьерной линии.",
      nextAdds: "Новых требований: {n}",
      nextSummary: "Показать новые требования ({n})",
      nextLevels: "Уровень ОРК: {range}",
      noNext: "Это высший уровень этой карьерной линии в стандарте.",
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
      resultsTitle: { cv: "Ең жақын кәсіптер", vacancy: "Бос орын сәйкес келетін кәсіптер" },
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
      nextTitle: "Келесі деңгей",
      nextIntro: "Осы мансап жолындағы бір саты жоғары кәсіп.",
      nextAdds: "Жаңа талаптар: {n}",
      nextSummary: "Жаңа талаптарды көрсету ({n})",
      nextLevels: "СБШ деңгейі: {range}",
      noNext: "Бұл — стандарттағы осы мансап жолының ең жоғары деңгейі.",
    },
  };

  // --- state -------------------------------------------------------------------------------------------------
  var state = {
    lang: "en",
    file: null, // File chosen by the input or by drag-and-drop
    busy: false,
    result: null, // the last MatchResult (JSON)
    selected: null, // clause of the occupation whose details are shown
    showAllCovered: false,
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
    if (state.result) renderResults(false);
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

  // --- request -----------------------------------------------------------------------------------------------
  function setBusy(busy) {
    state.busy = busy;
    renderBusy();
  }

  function renderBusy() {
    els.submit.disabled = state.busy;
    els.submit.setAttribute("aria-busy", state.busy ? "true" : "false");
    els.submitLabel.textContent = t(state.busy ? "submitBusy" : "submit");
    els.form.setAttribute("aria-busy", state.busy ? "true" : "false");
    els.results.setAttribute("aria-busy", state.busy ? "true" : "false");
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
    var kind = selectedKind();
    var top = parseInt(els.top.value, 10) || 3;
    var init = { method: "POST", headers: { Accept: "application/json, application/problem+json" } };
    if (state.file) {
      var fd = new FormData();
      fd.append("file", state.file, state.file.name);
      fd.append("kind", kind);
      fd.append("top", String(top));
      fd.append("lang", state.lang);
      init.body = fd;
    } else {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify({ text: text, kind: kind, lang: state.lang, top: top });
    }
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = null;
    if (controller) {
      init.signal = controller.signal;
      timer = window.setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS);
    }
    setBusy(true);
    fetch("v1/match", init)
      .then(handleResponse, function (err) {
        showError({ key: err && err.name === "AbortError" ? "errTimeout" : "errNetwork" });
      })
      .catch(function (err) {
        console.error(err); // eslint-disable-line no-console
        showError({ key: "errBadResponse" });
      })
      .then(function () {
        if (timer) window.clearTimeout(timer);
        setBusy(false);
      });
  }

  function handleResponse(resp) {
    if (resp.ok) {
      return resp.json().then(function (data) {
        if (!data || !Array.isArray(data.occupations)) throw new Error("bad result");
        state.result = data;
        state.selected = data.occupations.length ? data.occupations[0].clause : null;
        state.showAllCovered = false;
        renderResults(true);
      });
    }
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

  // --- rendering the result ----------------------------------------------------------------------------------
  function renderResults(moveFocus) {
    var res = state.result;
    var kind = kindOfResult();
    // in_scope false: the text is not about any occupation of this standard. Say so, and show no card, level,
    // coverage or learning plan, which would read as if it fitted.
    var outside = res.in_scope === false;
    els.resultsBody.hidden = false;
    els.resultsTitle.textContent = t((outside ? "outOfScopeTitle." : "resultsTitle.") + kind);
    renderSummary(res);
    renderOutOfScope(outside, kind);
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

  function renderSummary(res) {
    var parts = [];
    if (res.language) parts.push(t("summaryLang", { lang: t("langNames." + res.language) }));
    var ev = res.level_evidence || {};
    if (ev.education) parts.push(t("summaryEdu", { edu: t("education." + ev.education) }));
    var years = Number(ev.years) || 0;
    parts.push(t("summaryYears", { years: years > 0 ? plural("years", years) : t("yearsNone") }));
    if (ev.managerial) parts.push(t("summaryManager"));
    var p = els.summary;
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
            t("level." + kind) + ": ", el("b", { text: String(occ.sbsh_level) }), " ",
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
        el("div", { class: "occ-actions" }, [btn]),
      ]);
      list.appendChild(li);
    });
  }

  function selectOccupation(clause) {
    if (clause !== state.selected) {
      state.selected = clause;
      state.showAllCovered = false;
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
      renderMissing(occ, kind),
      renderNext(occ),
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

  function renderCovered(occ, kind) {
    var covered = statementsOf(occ).covered;
    var block = el("section", { class: "block", id: "covered", "aria-labelledby": "covered-title" }, [
      blockTitle("covered-title", t("coveredTitle." + kind), covered.length),
    ]);
    if (!covered.length) {
      block.appendChild(el("p", { class: "empty", text: t("noneCovered." + kind) }));
      return block;
    }
    block.appendChild(el("p", { class: "block-intro", text: t("coveredIntro." + kind) }));
    var shown = state.showAllCovered ? covered : covered.slice(0, COVERED_PREVIEW);
    var list = el("ul", { class: "stmt-list", id: "covered-list" });
    var sourceLang = state.result.language || null;
    shown.forEach(function (c) {
      list.appendChild(el("li", { class: "stmt stmt-covered" }, [
        el("p", { class: "stmt-text" }, [kindTag(c.kind), tr(c.text)]),
        el("figure", { class: "evidence" }, [
          el("figcaption", { class: "evidence-label", text: t("evidenceLabel." + kind) }),
          el("blockquote", { lang: sourceLang, text: c.evidence }),
        ]),
      ]));
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

  /** Missing statements grouped by labour function (mandatory first) and skill, with headings from `level`. */
  function renderGroups(items, level) {
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
          ul.appendChild(el("li", { class: "stmt stmt-missing" }, [
            el("p", { class: "stmt-text" }, [kindTag(m.kind), tr(m.text)]),
          ]));
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

  function renderNext(occ) {
    var block = el("section", { class: "block", id: "next-level", "aria-labelledby": "next-title" }, [
      blockTitle("next-title", t("nextTitle"), null),
    ]);
    var nx = occ.next_level;
    if (!nx) {
      block.appendChild(el("p", { class: "empty", text: t("noNext") }));
      return block;
    }
    var adds = dedupe(nx.adds || []);
    var card = el("div", { class: "next" }, [
      el("p", { class: "block-intro", text: t("nextIntro") }),
      el("h4", { class: "next-name", text: cap(tr(nx.name)) }),
      el("p", { text: t("code") + ": " + nx.code + " · " + t("nextLevels", { range: levelRange(nx.sbsh_levels) }) }),
      el("p", null, [el("b", { text: t("nextAdds", { n: adds.length }) })]),
    ]);
    if (adds.length) {
      card.appendChild(el("details", { class: "next-details" }, [
        el("summary", { text: t("nextSummary", { n: adds.length }) }),
        renderGroups(adds, 5),
      ]));
    }
    block.appendChild(card);
    return block;
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
    els.outOfScope = document.getElementById("out-of-scope");
    els.occList = document.getElementById("occupation-list");
    els.details = document.getElementById("details");
    els.langButtons = Array.prototype.slice.call(document.querySelectorAll(".lang-btn"));

    els.langButtons.forEach(function (b) {
      b.addEventListener("click", function () { setLang(b.getAttribute("data-lang"), true); });
    });
    els.fileInput.addEventListener("change", function () {
      chooseFile(els.fileInput.files && els.fileInput.files[0]);
    });
    els.fileClear.addEventListener("click", function () {
      resetFileInput();
      els.fileInput.focus();
    });
    els.form.addEventListener("submit", onSubmit);
    initDrop();

    setLang(initialLang(), false);
    pollReady(1000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
