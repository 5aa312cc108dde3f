"""The choice of `e5`'s runtime per CPU (issue 14, item 1): the rule, given CPU flags and installed runtimes.

These run on any CPU: the decision function is fed the flag sets of both kinds of machine (an Intel Xeon with AMX
and AVX512-BF16, an AMD EPYC with AVX2 only) and of machines it cannot read. The real encoder on the CPU that runs
the tests is in test_e5.py (slow).
"""

from __future__ import annotations

import platform
from pathlib import Path

import pytest

from matcher.encoders import e5
from matcher.errors import EncoderError, RuntimeMissing

XEON_AMX = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Processor
flags\t\t: fpu vme sse sse2 avx avx2 fma avx512f avx512bw avx512_vnni avx_vnni avx512_bf16 amx_bf16 amx_tile amx_int8
processor\t: 1
model name\t: Intel(R) Xeon(R) Processor
flags\t\t: fpu vme sse sse2 avx avx2 fma avx512f avx512bw avx512_vnni avx_vnni avx512_bf16 amx_bf16 amx_tile amx_int8
"""
EPYC_AVX2 = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 7B13
flags\t\t: fpu vme sse sse2 avx avx2 fma bmi2 sha_ni
"""
ZEN4_AVX512_BF16 = """model name\t: AMD EPYC 9B14
flags\t\t: avx2 fma avx512f avx512_bf16 avx512_vnni
"""
ARM = """processor\t: 0
BogoMIPS\t: 50.00
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm bf16 i8mm
CPU implementer\t: 0x41
"""

ALL = frozenset(e5.RUNTIMES)
ONNX_ONLY = frozenset({"onnx", "onnx-int8"})
TORCH_ONLY = frozenset({"torch", "torch-bf16"})


def flags(cpuinfo: str) -> frozenset[str]:
    return e5.read_cpu_info(cpuinfo, "x86_64").flags


def test_cpu_flags_are_read_from_cpuinfo():
    xeon = e5.read_cpu_info(XEON_AMX, "x86_64")
    assert xeon.model == "Intel(R) Xeon(R) Processor" and xeon.native_bf16 == ["amx_bf16", "avx512_bf16"]
    epyc = e5.read_cpu_info(EPYC_AVX2, "x86_64")
    assert epyc.model == "AMD EPYC 7B13" and "avx2" in epyc.flags and epyc.native_bf16 == []
    assert e5.read_cpu_info(ZEN4_AVX512_BF16, "x86_64").native_bf16 == ["avx512_bf16"]


@pytest.mark.parametrize("cpuinfo", [ARM, "", "garbage\n\0\n:::"])
def test_unreadable_or_other_cpus_count_as_no_native_bf16(cpuinfo):
    info = e5.read_cpu_info(cpuinfo, "aarch64")
    assert info.native_bf16 == [] and info.model  # a name to print, whatever the source
    assert e5.choose_runtime("auto", info.flags, ALL).runtime == "onnx"


def test_this_machine_is_read():
    info = e5.cpu_info()
    assert info.arch == (platform.machine() or "unknown") and info.model
    proc = Path("/proc/cpuinfo")
    if proc.is_file() and "flags" in proc.read_text(encoding="utf-8", errors="replace"):
        assert info.flags  # x86 Linux: the flags line is there and read


# --- auto ---------------------------------------------------------------------------------------------------------

AGREES = {"onnx": True, "torch": True, "torch-bf16": True, "onnx-int8": False}
DISAGREES = {"onnx": True, "torch": True, "torch-bf16": False, "onnx-int8": False}


@pytest.mark.parametrize(("cpuinfo", "installed", "agrees", "one_shot", "expected"), [
    # native bf16: torch-bf16 only if torch is there and bf16 agrees with fp32; one document in a fresh process
    # prefers onnx, which starts faster and shares the index
    (XEON_AMX, ALL, AGREES, False, "torch-bf16"),
    (ZEN4_AVX512_BF16, ALL, AGREES, False, "torch-bf16"),
    (XEON_AMX, ALL, AGREES, True, "onnx"),
    (XEON_AMX, TORCH_ONLY, AGREES, True, "torch-bf16"),  # nothing faster to start
    (XEON_AMX, ALL, DISAGREES, False, "onnx"),
    (XEON_AMX, ONNX_ONLY, AGREES, False, "onnx"),
    (XEON_AMX, TORCH_ONLY, DISAGREES, False, "torch"),
    # AVX2 only: bf16 would be emulated, whatever the agreement
    (EPYC_AVX2, ALL, AGREES, False, "onnx"),
    (EPYC_AVX2, ALL, DISAGREES, False, "onnx"),
    (EPYC_AVX2, TORCH_ONLY, AGREES, False, "torch"),
    (EPYC_AVX2, frozenset({"torch", "torch-bf16"}), AGREES, True, "torch"),
])
def test_auto(cpuinfo, installed, agrees, one_shot, expected):
    choice = e5.choose_runtime("auto", flags(cpuinfo), installed, one_shot=one_shot, agrees=agrees)
    assert choice.runtime == expected, choice
    assert choice.reason.startswith("auto: ") and choice.warning is None
    assert choice.runtime not in choice.fallbacks and set(choice.fallbacks) <= installed


def test_auto_reasons_name_what_decided():
    amx, epyc = flags(XEON_AMX), flags(EPYC_AVX2)
    assert "amx_bf16, avx512_bf16" in e5.choose_runtime("auto", amx, ALL, agrees=AGREES).reason
    assert "miss the agreement" in e5.choose_runtime("auto", amx, ALL, agrees=DISAGREES).reason
    assert "torch is not installed" in e5.choose_runtime("auto", amx, ONNX_ONLY, agrees=AGREES).reason
    assert "no native bf16" in e5.choose_runtime("auto", epyc, ALL, agrees=AGREES).reason
    assert "fresh process" in e5.choose_runtime("auto", amx, ALL, one_shot=True, agrees=AGREES).reason
    assert "onnxruntime is not installed" in e5.choose_runtime("auto", epyc, TORCH_ONLY).reason


def test_auto_with_the_recorded_verdicts():
    """The verdicts in the code decide on a real CPU; bf16 is chosen exactly when it is recorded as agreeing."""
    choice = e5.choose_runtime("auto", flags(XEON_AMX), ALL)
    assert choice.runtime == ("torch-bf16" if e5.AGREES_WITH_FP32["torch-bf16"] else "onnx")
    assert e5.choose_runtime("auto", flags(EPYC_AVX2), ALL).runtime == "onnx"
    assert not e5.AGREES_WITH_FP32["onnx-int8"] and e5.AGREES_WITH_FP32["onnx"] and e5.AGREES_WITH_FP32["torch"]


def test_agreement_criterion():
    assert e5.agreement_holds(0.99999, 0.99) and e5.agreement_holds(1.0, 1.0)
    assert not e5.agreement_holds(0.99989, 1.0)  # vectors too far
    assert not e5.agreement_holds(0.999994, 0.986)  # torch-bf16 as measured: near-ties flip the nearest statement


# --- forced -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("runtime", e5.RUNTIMES)
def test_a_forced_runtime_is_used_as_it_is(runtime):
    for cpu in (XEON_AMX, EPYC_AVX2):
        choice = e5.choose_runtime(runtime, flags(cpu), ALL)
        assert (choice.runtime, choice.fallbacks) == (runtime, ())
        assert choice.reason == f"forced by MATCHER_E5_RUNTIME={runtime}"


def test_forced_bf16_warns_only_where_it_is_emulated():
    slow = e5.choose_runtime("torch-bf16", flags(EPYC_AVX2), ALL).warning
    assert slow and "emulated" in slow and "slow" in slow
    assert e5.choose_runtime("torch-bf16", flags(ARM), ALL).warning  # not detected: warned
    assert e5.choose_runtime("torch-bf16", flags(XEON_AMX), ALL).warning is None
    assert e5.choose_runtime("torch-bf16", flags(ZEN4_AVX512_BF16), ALL).warning is None
    assert e5.choose_runtime("torch", flags(EPYC_AVX2), ALL).warning is None


def test_unknown_or_missing_runtimes():
    with pytest.raises(EncoderError) as err:
        e5.choose_runtime("tensorflow", flags(XEON_AMX), ALL)
    assert err.value.code == "unknown_encoder"
    with pytest.raises(RuntimeMissing, match="onnxruntime"):
        e5.choose_runtime("auto", flags(XEON_AMX), frozenset())


def test_installed_runtimes_are_found_without_importing_them():
    import sys

    had_torch = "torch" in sys.modules
    installed = e5.installed_runtimes()
    assert {"onnx", "onnx-int8"} <= installed  # onnxruntime is a main dependency
    assert ("torch" in sys.modules) == had_torch  # finding is not importing (torch alone takes about a second)
