"""A questionnaire run keeps the language its answers were given in (staff see whether
its score is from a validated version), and the migration marks older runs unknown."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, text

from content.questionnaires import NOT_VALIDATED_MARK, Instrument, questionnaires
from storage import migrate
from storage.database import create_engine, create_session_factory
from storage.models import QuestionnaireRun, User
from storage.questionnaires import MIXED, UNKNOWN, Answered, Reason, answer_item, start_run

NOW = datetime(2027, 6, 7, 17, 0, tzinfo=UTC)


async def test_answers_keep_their_language_and_a_change_of_language_is_mixed(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'wording.sqlite3'}")
    try:
        await migrate.upgrade(engine)
        sessions = create_session_factory(engine)
        async with sessions.begin() as session:
            session.add(User(id=1, chat_id=1, first_seen_at=NOW, last_seen_at=NOW))
            await session.flush()
            runs = []
            for languages in (["es", "es", "es"], ["en", "en"], ["en", "zh"], []):
                run = await start_run(
                    session=session, user_id=1, instrument="peg", reason=Reason.ASKED, now=NOW
                )
                assert run is not None
                for item, language in enumerate(languages):
                    answered = await answer_item(
                        session=session, run_id=run.id, user_id=1, item=item, answer=5,
                        now=NOW, language=language,
                    )  # fmt: skip
                    assert answered is Answered.TAKEN
                runs.append(run.id)
            # Only the item the run waits for is taken: a late tap changes nothing.
            await answer_item(
                session=session, run_id=runs[1], user_id=1, item=0, answer=5, now=NOW,
                language="zh",
            )  # fmt: skip
        async with sessions() as session:
            wordings = [await session.get(QuestionnaireRun, run_id) for run_id in runs]
        assert [row.wording for row in wordings if row] == ["es", "en", MIXED, None]
    finally:
        await engine.dispose()


async def test_runs_answered_before_the_migration_are_unknown(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'before.sqlite3'}")
    try:
        await migrate.upgrade(engine, "0014_visits")
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO users (id, chat_id, first_seen_at, last_seen_at, blocked, "
                    "pregnant) VALUES (1, 1, :now, :now, 0, 0)"
                ),
                {"now": NOW.isoformat()},
            )
            for run_id, next_item in ((1, 3), (2, 0)):
                await connection.execute(
                    text(
                        "INSERT INTO questionnaire_runs (id, user_id, instrument, reason, "
                        "started_at, next_item) VALUES (:id, 1, 'peg', 'asked', :now, :next)"
                    ),
                    {"id": run_id, "now": NOW.isoformat(), "next": next_item},
                )
        await migrate.upgrade(engine)
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(QuestionnaireRun.id, QuestionnaireRun.wording).order_by(QuestionnaireRun.id)
            )
            # Answered before: unknown. Not answered yet: its first answer will say.
            assert rows.all() == [(1, UNKNOWN), (2, None)]
    finally:
        await engine.dispose()


def test_only_the_published_english_words_are_validated() -> None:
    for instrument in Instrument:
        questionnaire = questionnaires().get(instrument)
        assert questionnaire.validated_in("en")
        assert questionnaire.mark("en") == questionnaire.mark(None) == ""  # None: a 0-10 answer
        for wording in ("es", "zh", MIXED, UNKNOWN, "fr"):
            assert not questionnaire.validated_in(wording), (instrument, wording)
            assert questionnaire.mark(wording) == NOT_VALIDATED_MARK
