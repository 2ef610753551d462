from __future__ import annotations

from qa.chat.conversation import Turn, content_words, rewrite_query

NATO = Turn(
    "What did NATO propose to Russia?",
    "What did NATO propose to Russia?",
    "NATO's chief urged Russia to join the alliance's planned missile defence shield.",
)


def test_standalone_question_is_searched_as_is() -> None:
    assert rewrite_query("What did NATO propose to Russia?", []) == "What did NATO propose to Russia?"
    assert rewrite_query("When does the rail strike end?", [NATO]) == "When does the rail strike end?"


def test_what_about_replaces_the_last_named_thing() -> None:
    assert rewrite_query("And what about Iran?", [NATO]) == "What did NATO propose to Iran?"
    plain = Turn("when did the barrier open", "when did the barrier open")
    assert rewrite_query("what about the pier?", [plain]) == "when did the barrier open the pier?"


def test_referring_follow_up_carries_the_previous_topic_and_answer() -> None:
    query = rewrite_query("Who said that?", [NATO])
    assert query.startswith("Who said that?")
    for word in ("NATO", "Russia", "missile", "shield"):
        assert word in query
    assert "Iran" not in query


def test_uses_the_latest_turn() -> None:
    rail = Turn("Why are train drivers striking?", "Why are train drivers striking?", "They want a 9 percent rise.")
    query = rewrite_query("How long will it last?", [NATO, rail])
    assert "train" in query and "NATO" not in query


def test_content_words_drop_function_words() -> None:
    assert content_words("What did the NATO chief say about the shield?") == ["NATO", "chief", "shield"]
