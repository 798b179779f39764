"""The model card a 县民政 official reads: Chinese first (use, results against the official checklist, bands,
limits), the English for the data team after it; and the registry's descriptions in Chinese."""

from __future__ import annotations

import re

from training.model_card_zh import REGISTERED_DESCRIPTION, model_card_zh, version_description


def test_the_chinese_card_says_what_the_model_is_for_how_often_it_is_right_and_its_limits(trained) -> None:
    card = model_card_zh(trained, k=10, horizon_days=90, model_name="shouhu-risk", spec_version="1.1.0")
    for heading in ("# 模型说明", "## 用途", "## 效果", "## 风险等级", "## 公平性", "## 局限"):
        assert heading in card
    assert "评分仅供参考，由工作人员决定" in card and "官方排查表" in card and "强制报告" in card
    assert re.search(r"名单前 10 名中，之后确实发生事件的比例 \| \d+% \| (\d+%|—) \|", card)
    assert "nan" not in card.lower() and "English version for the data team" in card


def test_the_registry_descriptions_are_chinese(trained) -> None:
    assert "评分仅供参考" in REGISTERED_DESCRIPTION
    text = version_description(trained, k=10, horizon_days=90)
    assert text.startswith("检验期") and "官方排查表" in text and "%" in text


def test_a_registered_version_carries_the_chinese_card_and_descriptions(trained, tmp_path) -> None:
    from features.spec import DEFAULT_SPEC, load_spec
    from training import registry
    from training.tracking import log_run

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    run = log_run(
        trained,
        load_spec(),
        DEFAULT_SPEC,
        tracking_uri=uri,
        artifact_root=tmp_path / "mlruns",
        model_name="shouhu-risk",
        horizon_days=90,
        k=10,
    )
    client = registry.client(uri)
    assert client.get_registered_model("shouhu-risk").description == REGISTERED_DESCRIPTION
    assert client.get_model_version("shouhu-risk", run.version).description.startswith("检验期")
    card = next((tmp_path / "mlruns").rglob("model_card.md")).read_text(encoding="utf-8")
    assert card.startswith("# 模型说明") and "# Model card" in card  # Chinese first, the English after
