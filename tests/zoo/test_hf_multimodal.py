"""``hf:TYPE`` of a contrastive image-text model (CLIP, SigLIP, BLIP) builds its images too
(find-C 2): their main input is ``input_ids``, but the forward runs the image tower as well and
failed deep inside (``'NoneType' object has no attribute 'shape'``, ``You have to specify
pixel_values``). Real transformers models built from small configs, held to closed-form MACs;
inputs ``hf:TYPE`` cannot build are refused in one line naming them."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("transformers")
os.environ["HF_HUB_OFFLINE"] = "1"
pytestmark = pytest.mark.torch

from click.testing import CliRunner  # noqa: E402

from cimsim import zoo  # noqa: E402
from cimsim.cli import main  # noqa: E402
from cimsim.errors import WorkloadError  # noqa: E402

B, S, D, I, PROJ = 2, 8, 32, 64, 16   # batch, tokens, width, MLP width, projection
IMAGE, PATCH = 32, 16                 # 2 x 2 = 4 patches of 3 x 16 x 16
TEXT = dict(vocab_size=128, hidden_size=D, intermediate_size=I, num_hidden_layers=1,
            num_attention_heads=2, max_position_embeddings=16)
VISION = dict(hidden_size=D, intermediate_size=I, num_hidden_layers=1, num_attention_heads=2,
              image_size=IMAGE, patch_size=PATCH)


def _layer(n):  # one pre-/post-norm transformer layer over n tokens: Q K V O, MLP, QK^T and AV
    return 4 * n * D * D + 2 * n * D * I + 2 * n * n * D


PATCHES = (IMAGE // PATCH) ** 2
EMBED = PATCHES * D * 3 * PATCH * PATCH   # the patch-embedding convolution
# per sample: text layer over S tokens, patch embedding, vision layer; then the towers'
# projections (B x D x PROJ each, CLIP / BLIP) and the B x B similarity over the embedding width
CLOSED = {
    # ViT with a class token: 4 + 1 tokens
    "clip": B * (_layer(S) + EMBED + _layer(PATCHES + 1)) + 2 * B * D * PROJ + B * B * PROJ,
    # no class token (4 tokens); the text head is a D x D linear on the last token; the image is
    # pooled by one learned query: its projection D^2, K and V over 4 tokens 2 * 4 * D^2, scores
    # and mix 2 * 4 * D, out-projection D^2, MLP 2 * D * I; no projections, similarity over D
    "siglip": B * (_layer(S) + D * D + EMBED + _layer(PATCHES)
                   + D * D + 2 * PATCHES * D * D + 2 * PATCHES * D + D * D + 2 * D * I) + B * B * D,
    # BERT-style text tower with its pooler (D x D on the first token); BLIP's vision config has
    # no num_channels field: 3 channels
    "blip": B * (_layer(S) + D * D + EMBED + _layer(PATCHES + 1)) + 2 * B * D * PROJ + B * B * PROJ,
}


def _sizes(model_type):
    sizes = dict(text_config=TEXT, vision_config=VISION, batch=B, seq=S)
    return sizes if model_type == "siglip" else {**sizes, "projection_dim": PROJ}


@pytest.mark.parametrize("model_type", sorted(CLOSED))
@pytest.mark.parametrize("real", [False, True])
def test_two_tower_models_trace_with_their_images(model_type, real):
    assert CLOSED == {"clip": 423_104, "siglip": 434_816, "blip": 425_152}  # the sums above
    w = zoo.trace_zoo(f"hf:{model_type}", real_weights=real, **_sizes(model_type))
    assert w.macs == CLOSED[model_type]


def test_the_images_match_the_vision_config_and_the_token_ids_stay_int64():
    import torch

    built = zoo.build("hf:blip", **_sizes("blip"))
    (ids,), kwargs = built.args, built.kwargs
    assert ids.dtype == torch.int64 and tuple(ids.shape) == (B, S)
    assert set(kwargs) == {"pixel_values"}
    assert kwargs["pixel_values"].dtype == torch.float32
    assert tuple(kwargs["pixel_values"].shape) == (B, 3, IMAGE, IMAGE)


def test_the_cli_traces_hf_clip(tmp_path):
    out = tmp_path / "clip.json"
    args = ["trace", "--zoo", "hf:clip", "--param", "text_config={\"num_hidden_layers\": 1}",
            "--param", "vision_config={\"num_hidden_layers\": 1, \"image_size\": 64}", "-o", str(out)]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    # CLIP ViT-B/32's towers, one layer each: text 512 wide (MLP 2048) over 8 tokens; vision 768
    # wide (MLP 3072) over 2 x 2 patches + a class token; projections to 512; one image, one text
    text = 4 * 8 * 512**2 + 2 * 8 * 512 * 2048 + 2 * 8 * 8 * 512
    vision = 4 * 768 * 3 * 32 * 32 + 4 * 5 * 768**2 + 2 * 5 * 768 * 3072 + 2 * 5 * 5 * 768
    assert f"{text + vision + 768 * 512 + 512 * 512 + 512:,} MACs" in r.output   # 70,752,256


@pytest.mark.parametrize("name, params, msg", [
    # its vision config has no image_size (images of any size, patchified by the processor)
    ("hf:siglip2", {}, r"^hf:siglip2 also needs pixel_values, pixel_attention_mask and spatial_shapes "
                       r"\(its vision config gives no whole image_size\), which hf:TYPE does not build"),
    # text and speech: the second tower reads audio features
    ("hf:clvp", {}, r"^hf:clvp also needs input_features, which hf:TYPE does not build"),
    # a vision tower whose forward requires its inputs by name
    ("hf:idefics3_vision", {}, r"^hf:idefics3_vision takes pixel_values, and hf:TYPE feeds token ids only; "
                               r"trace it from a factory .*\{'pixel_values': \.\.\.\}"),
    # CLIP's text tower has a table of 77 positions (transformers' default)
    ("hf:clip", {"seq": 78}, r"--param seq=78: hf:clip's text tower needs 78 positions, past its "
                             r"table of 77 \(text_config.max_position_embeddings\)"),
])
def test_inputs_hf_type_cannot_build_are_named(name, params, msg):
    with pytest.raises(WorkloadError, match=msg):
        zoo.build(name, **params)


@pytest.mark.parametrize("name, needs, kw", [
    ("hf:vilt", "pixel_values and image_embeds", "'pixel_values': ..., 'image_embeds': ..."),
    ("hf:lxmert", "visual_feats and visual_pos", "'visual_feats': ..., 'visual_pos': ..."),
    ("hf:tvp", "pixel_values", "'pixel_values': ..."),
])
def test_an_image_text_model_fed_token_ids_names_its_other_towers_inputs(name, needs, kw):
    """review18-6 #4: not contrastive, so hf:TYPE feeds token ids only, and the model's own
    exception (ViLT's `You have to specify either pixel_values or image_embeds`) came with no
    way forward. Its failure now names the other tower's inputs and the factory form."""
    with pytest.raises(WorkloadError) as e:
        zoo.trace_zoo(name, num_hidden_layers=1) if name == "hf:vilt" else zoo.trace_zoo(name)
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith("running ")
    assert (f"; {name}'s forward also takes {needs} (inputs of another tower), which hf:TYPE does "
            f"not build; trace it from a factory that builds its inputs (cimsim trace FILE.py:factory "
            f"returning (model, (), {{'input_ids': ..., {kw}}})") in msg


def test_a_model_whose_main_input_is_pixels_gets_the_same_factory_form():
    """review18-6 #7: one wording for "trace it from a factory", naming the inputs."""
    with pytest.raises(WorkloadError, match=r"^hf:swin takes pixel_values, and hf:TYPE feeds token ids "
                       r"only; trace it from a factory that builds its inputs \(cimsim trace "
                       r"FILE.py:factory returning \(model, \(\), \{'pixel_values': \.\.\.\}\)"):
        zoo.build("hf:swin")


@pytest.mark.parametrize("real", [False, True])
def test_a_model_whose_constructor_fails_on_fake_tensors_gets_the_pixel_values_answer(real):
    """find-D 4: TimeSformer's constructor calls .item() on a linspace, which fake tensors
    cannot: hf:timesformer failed with DataDependentOutputException (also with --real-weights,
    whose size estimate builds it fake) before its main input was asked for. The main input is
    read from the model class, before the model is built."""
    with pytest.raises(WorkloadError, match=r"^hf:timesformer takes pixel_values, and hf:TYPE feeds "
                       r"token ids only; trace it from a factory .*\{'pixel_values': \.\.\.\}"):
        zoo.build("hf:timesformer", real_weights=real)


def test_a_model_that_runs_on_text_alone_still_traces():
    """VisualBERT's forward takes visual_embeds but runs without them: no refusal."""
    w = zoo.trace_zoo("hf:visual_bert", num_hidden_layers=1)
    assert w.macs > 0
