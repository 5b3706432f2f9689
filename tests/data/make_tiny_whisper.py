"""Make tests/data/tiny-whisper: a randomly initialised, English-only Whisper in CTranslate2 form.

Its text is nonsense; its plumbing is real: faster-whisper loads it, computes features, runs the
encoder and decoder and returns timed segments, exactly as with a downloaded model. The test suite
serves this folder from a local HTTP server to exercise calldesk's model download too.

Needs only what ``calldesk[transcribe]`` installs (ctranslate2, numpy, tokenizers); no torch.
Run: ``python tests/data/make_tiny_whisper.py`` (deterministic: a fixed seed).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
from ctranslate2.specs import common_spec, whisper_spec
from tokenizers import Tokenizer, decoders, models, pre_tokenizers

OUT = Path(__file__).with_name("tiny-whisper")
D_MODEL, HEADS, LAYERS, N_MELS = 64, 2, 1, 80
FFN = 4 * D_MODEL
SPECIALS = [
    "<|endoftext|>",
    "<|startoftranscript|>",
    "<|translate|>",
    "<|transcribe|>",
    "<|startoflm|>",
    "<|startofprev|>",
    "<|nocaptions|>",
    "<|notimestamps|>",
]
TIMESTAMPS = [f"<|{i * 0.02:.2f}|>" for i in range(1501)]

rng = np.random.default_rng(20261203)


def rand(*shape: int) -> np.ndarray:
    return (rng.standard_normal(shape) * 0.2).astype(np.float32)


def linear(spec: common_spec.LinearSpec, out_dim: int, in_dim: int, bias: bool = True) -> None:
    spec.weight = rand(out_dim, in_dim)
    if bias:
        spec.bias = rand(out_dim)


def norm(spec: common_spec.LayerNormSpec) -> None:
    spec.gamma = np.ones(D_MODEL, np.float32)
    spec.beta = np.zeros(D_MODEL, np.float32)


def attention(spec, self_attention: bool) -> None:  # type: ignore[no-untyped-def]
    norm(spec.layer_norm)
    if self_attention:
        linear(spec.linear[0], 3 * D_MODEL, D_MODEL)
    else:
        linear(spec.linear[0], D_MODEL, D_MODEL)
        linear(spec.linear[1], 2 * D_MODEL, D_MODEL)
    linear(spec.linear[-1], D_MODEL, D_MODEL)


def ffn(spec) -> None:  # type: ignore[no-untyped-def]
    norm(spec.layer_norm)
    linear(spec.linear_0, FFN, D_MODEL)
    linear(spec.linear_1, D_MODEL, FFN)


def byte_alphabet() -> list[str]:
    return sorted(pre_tokenizers.ByteLevel.alphabet())


def main() -> int:
    text_tokens = byte_alphabet()
    vocab = text_tokens + SPECIALS + TIMESTAMPS
    ids = {tok: i for i, tok in enumerate(vocab)}

    spec = whisper_spec.WhisperSpec(LAYERS, HEADS, LAYERS, HEADS)
    enc = spec.encoder
    enc.conv1.weight, enc.conv1.bias = rand(D_MODEL, N_MELS, 3), rand(D_MODEL)
    enc.conv2.weight, enc.conv2.bias = rand(D_MODEL, D_MODEL, 3), rand(D_MODEL)
    enc.position_encodings.encodings = rand(1500, D_MODEL)
    norm(enc.layer_norm)
    for layer in enc.layer:
        attention(layer.self_attention, True)
        ffn(layer.ffn)
    dec = spec.decoder
    dec.embeddings.weight = rand(len(vocab), D_MODEL)
    dec.position_encodings.encodings = rand(448, D_MODEL)
    norm(dec.layer_norm)
    for layer in dec.layer:
        attention(layer.self_attention, True)
        attention(layer.attention, False)
        ffn(layer.ffn)
    dec.projection.weight = dec.embeddings.weight
    spec.register_vocabulary(vocab)
    spec.config.suppress_ids = []
    spec.config.suppress_ids_begin = [ids["<|endoftext|>"]]
    spec.config.lang_ids = []
    spec.config.alignment_heads = [[0, h] for h in range(HEADS)]
    spec.validate()
    spec.optimize(quantization="float16")

    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    spec.save(str(OUT))

    tok = Tokenizer(models.BPE(vocab={t: ids[t] for t in text_tokens}, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(SPECIALS + TIMESTAMPS)
    tok.save(str(OUT / "tokenizer.json"))
    (OUT / "preprocessor_config.json").write_text(
        json.dumps(
            {
                "feature_size": N_MELS,
                "sampling_rate": 16000,
                "hop_length": 160,
                "chunk_length": 30,
                "n_fft": 400,
            },
            indent=2,
        )
        + "\n"
    )
    size = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"wrote {OUT} ({size / 1024:.0f} KiB, vocabulary {len(vocab)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
