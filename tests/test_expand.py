"""The `expand` fields the client asks for, pinned to huggingface_hub's own lists (issue 14,
point 8: "check each field against huggingface_hub's own list before use").

huggingface_hub types what `expand` may name on the Hub as Literal types in hf_api
(ExpandModelProperty_T, ExpandDatasetProperty_T, ExpandSpaceProperty_T). A name outside them is one
the library does not know the Hub to accept: the real Hub may answer such a listing with HTTP 400
and the whole account would fail. The fake Hub's accepted names are held to the same lists, so it
never accepts what the real one would refuse.
"""

from __future__ import annotations

import typing

from huggingface_hub import hf_api

from oss_tracker.hub import client
from tests import fakehub

MODEL = set(typing.get_args(hf_api.ExpandModelProperty_T))
DATASET = set(typing.get_args(hf_api.ExpandDatasetProperty_T))
SPACE = set(typing.get_args(hf_api.ExpandSpaceProperty_T))


def test_huggingface_hub_still_types_the_names() -> None:
    # An empty set would make every check below pass: the types are there and hold these names.
    assert {"downloadsAllTime", "config", "gguf", "inferenceProviderMapping", "baseModels"} <= MODEL
    assert {"downloadsAllTime", "cardData"} <= DATASET
    assert {"sdk", "cardData"} <= SPACE


def test_the_model_listing_and_detail_ask_only_for_names_huggingface_hub_knows() -> None:
    for expand in (client.LISTING_EXPAND, client.CHILDREN_EXPAND, client.DERIVATIVES_EXPAND):
        assert set(expand) <= MODEL, set(expand) - MODEL
        assert len(set(expand)) == len(expand)  # each name once


def test_the_dataset_and_space_listings_ask_only_for_names_huggingface_hub_knows() -> None:
    assert set(client.DATASET_EXPAND) <= DATASET, set(client.DATASET_EXPAND) - DATASET
    assert set(client.SPACE_EXPAND) <= SPACE, set(client.SPACE_EXPAND) - SPACE


def test_the_fake_hub_accepts_no_name_huggingface_hub_does_not_know() -> None:
    assert fakehub.DETAIL_EXPAND <= MODEL, fakehub.DETAIL_EXPAND - MODEL
    assert fakehub.DATASET_EXPAND <= DATASET, fakehub.DATASET_EXPAND - DATASET
    assert fakehub.SPACE_EXPAND <= SPACE, fakehub.SPACE_EXPAND - SPACE
