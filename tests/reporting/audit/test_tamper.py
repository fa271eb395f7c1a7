"""Tamper evidence: every history row sealed into one hash chain with signed checkpoints;
verify_audit names the first bad sequence for each kind of tampering."""

import itertools
import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from incidents.choices import Severity
from incidents.models import Incident
from reporting.audit.sealing import seal_pending
from reporting.audit.tables import sealable_models
from reporting.audit.triggers import tables_with_trigger
from reporting.audit.verification import verify_chain, verify_new_segments
from reporting.models import AuditChainHead, AuditCheckpoint, AuditSeal, AuditVerification
from tests.reporting.builders import T0, attacker

pytestmark = pytest.mark.django_db


def history_row_count() -> int:
    return sum(model.objects.count() for model in sealable_models().values())


@pytest.fixture
def sealed(open_breach):
    for hour in range(3):
        open_breach(at=T0 + timedelta(hours=hour), title=f"Breach {hour}")
    result = seal_pending(now=T0)
    assert result.sealed == history_row_count() > 20
    return result


def verify_command(capsys) -> tuple[int, str]:
    try:
        call_command("verify_audit", "--no-progress")
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_every_history_row_is_sealed_once_in_one_chain(sealed, open_breach):
    seals = list(AuditSeal.objects.order_by("sequence"))
    assert [s.sequence for s in seals] == list(range(1, len(seals) + 1))
    assert all(b.previous_hash == a.hash for a, b in itertools.pairwise(seals))
    checkpoint = AuditCheckpoint.objects.get()
    assert (checkpoint.first_sequence, checkpoint.last_sequence) == (1, len(seals))
    assert checkpoint.last_hash == seals[-1].hash
    # Nothing new: nothing sealed, no checkpoint. New rows: the chain and checkpoints grow.
    assert seal_pending(now=T0).sealed == 0
    assert AuditCheckpoint.objects.count() == 1
    open_breach(at=T0 + timedelta(hours=9), title="Later")
    again = seal_pending(now=T0)
    assert again.first_sequence == len(seals) + 1
    assert AuditSeal.objects.count() == history_row_count()
    second = AuditCheckpoint.objects.order_by("last_sequence").last()
    assert second.previous_id == checkpoint.pk and second.first_sequence == len(seals) + 1


def test_a_row_committed_late_with_a_lower_id_is_still_sealed(sealed):
    model = sealable_models()["incidents.historicalincident"]
    top = model.objects.order_by("-history_id").first()
    row = {f.attname: getattr(top, f.attname) for f in model._meta.concrete_fields}

    def insert(history_id):
        model.objects.create(**{**row, "history_id": history_id})

    insert(top.history_id + 10)
    assert seal_pending(now=T0).sealed == 1
    # A transaction that took a lower id commits after the sealer passed that id.
    insert(top.history_id + 5)
    assert seal_pending(now=T0, lookback=0).sealed == 0  # a bare high-water mark misses it
    assert seal_pending(now=T0).sealed == 1  # the lookback window finds it
    insert(0)
    assert seal_pending(now=T0, lookback=-1).sealed == 1  # --full sweeps every id
    assert AuditSeal.objects.count() == history_row_count()
    assert verify_chain().ok


def test_an_intact_chain_verifies(sealed, capsys):
    code, output = verify_command(capsys)
    assert code == 0
    assert f"{sealed.sealed} sealed history rows verified" in output


def test_changed_history_row_is_detected(sealed, capsys):
    seal = AuditSeal.objects.filter(model="incidents.historicalincident").order_by("sequence")[1]
    model = sealable_models()[seal.model]
    with attacker():
        model.objects.filter(history_id=seal.history_id).update(title="Nothing happened")
    code, output = verify_command(capsys)
    assert code == 1
    assert f"first bad sequence {seal.sequence}" in output
    assert "changed after sealing" in output


def test_deleted_history_row_is_detected(sealed, capsys):
    seal = AuditSeal.objects.filter(model="incidents.historicaltimelineentry").first()
    model = sealable_models()[seal.model]
    with attacker():
        model.objects.filter(history_id=seal.history_id).delete()
    code, output = verify_command(capsys)
    assert code == 1 and f"first bad sequence {seal.sequence}" in output


def test_changed_seal_is_detected(sealed, capsys):
    seal = AuditSeal.objects.get(sequence=7)
    with attacker():
        AuditSeal.objects.filter(pk=seal.pk).update(row_digest="0" * 64)
    code, output = verify_command(capsys)
    assert code == 1 and "first bad sequence 7" in output


def test_deleted_seal_is_detected(sealed, capsys):
    with attacker():
        AuditSeal.objects.filter(sequence=5).delete()
    code, output = verify_command(capsys)
    assert code == 1 and "first bad sequence 5" in output


def test_reordered_seals_are_detected(sealed, capsys):
    with attacker():
        AuditSeal.objects.filter(sequence=9).update(sequence=10**9)
        AuditSeal.objects.filter(sequence=10).update(sequence=9)
        AuditSeal.objects.filter(sequence=10**9).update(sequence=10)
    code, output = verify_command(capsys)
    assert code == 1 and "first bad sequence 9" in output


def test_a_cut_tail_is_detected(sealed, capsys):
    last = sealed.last_sequence
    with attacker():
        AuditSeal.objects.filter(sequence__gt=last - 3).delete()
        AuditChainHead.objects.update(last_sequence=last - 3)
    code, output = verify_command(capsys)
    assert code == 1 and f"first bad sequence {last - 2}" in output


def rewrite_from(sequence: int) -> str:
    """Recompute every seal from `sequence` on (as an attacker without the key would after
    editing a row) and move the chain head; returns the new last hash."""
    from reporting.audit import chain

    previous = AuditSeal.objects.get(sequence=sequence - 1).hash if sequence > 1 else chain.GENESIS
    for item in AuditSeal.objects.filter(sequence__gte=sequence).order_by("sequence"):
        table = sealable_models()[item.model]
        columns = [f.attname for f in table._meta.concrete_fields]
        digest = chain.row_digest(table.objects.filter(pk=item.history_id).values(*columns).get())
        link = chain.link_hash(
            sequence=item.sequence,
            model=item.model,
            history_id=item.history_id,
            digest=digest,
            previous=previous,
        )
        AuditSeal.objects.filter(pk=item.pk).update(
            row_digest=digest, previous_hash=previous, hash=link
        )
        previous = link
    AuditChainHead.objects.update(last_hash=previous)
    return previous


def test_a_rewritten_chain_cannot_be_re_signed_without_the_key(sealed, capsys, settings):
    """An attacker who edits a row and recomputes every hash still fails the checkpoint."""

    seal = AuditSeal.objects.get(sequence=4)
    model = sealable_models()[seal.model]
    with attacker():
        model.objects.filter(history_id=seal.history_id).update(request_id="forged")
        AuditCheckpoint.objects.update(last_hash=rewrite_from(4))
    code, output = verify_command(capsys)
    assert code == 1 and "checkpoint" in output
    # With a different key the genuine chain does not verify either: the key matters.
    settings.HARBORMASTER_AUDIT_HMAC_KEY = "another-key"
    assert not verify_chain().ok


def forge_row_and_drop_checkpoints() -> None:
    seal = AuditSeal.objects.get(sequence=4)
    with attacker():
        sealable_models()[seal.model].objects.filter(history_id=seal.history_id).update(
            request_id="forged"
        )
        rewrite_from(1)
        AuditCheckpoint.objects.all().delete()


def test_dropping_every_checkpoint_fails_once_an_earlier_run_proved_the_chain(sealed, capsys):
    assert verify_new_segments(now=T0).ok
    forge_row_and_drop_checkpoints()
    code, output = verify_command(capsys)
    assert code == 1
    assert f"proved the chain to {sealed.last_sequence}" in output
    assert "checkpoints were removed" in output
    assert not verify_new_segments(now=T0, full=True).ok


def test_dropping_every_checkpoint_fails_after_the_grace_period(sealed, capsys, settings):
    forge_row_and_drop_checkpoints()
    settings.HARBORMASTER_AUDIT_UNSIGNED_GRACE_MINUTES = 60
    with time_machine.travel(T0 + timedelta(minutes=59), tick=False):
        assert verify_chain().ok  # a seal not yet signed is normal for a minute or two
    with time_machine.travel(T0 + timedelta(minutes=61), tick=False):
        code, output = verify_command(capsys)
    assert code == 1 and "first bad sequence 1" in output
    assert "no signed checkpoint covers it" in output


def test_a_rewritten_and_re_signed_chain_differs_from_the_proven_hash(sealed, capsys):
    """Even re-signed by the app itself (which holds the key), a rewritten chain no longer
    holds the hash an earlier run proved, or one kept outside the database."""
    code, output = verify_command(capsys)
    head = f"{sealed.last_sequence}:{AuditSeal.objects.get(sequence=sealed.last_sequence).hash}"
    assert code == 0 and f"Signed head: {head}" in output
    assert verify_new_segments(now=T0).ok
    forge_row_and_drop_checkpoints()
    seal_pending(now=T0)  # the sealer signs the forged chain as a new first checkpoint
    result = verify_chain(now=T0)
    assert not result.ok and result.first_bad_sequence == sealed.last_sequence
    assert "differs from an earlier verification" in result.message
    with attacker():
        AuditVerification.objects.all().delete()
    assert verify_chain(now=T0).ok  # with the proof gone from the database...
    try:
        call_command("verify_audit", "--no-progress", "--expect", head)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    assert code == 1  # ...the head kept outside it still catches the rewrite
    assert "differs from the expected hash" in capsys.readouterr().err


def test_a_long_sealing_run_signs_as_it_goes(open_breach, monkeypatch):
    """A backlog can take longer than the unsigned grace period to seal: a verifier running
    meanwhile must not mistake the committed-but-not-yet-signed seals for removed
    checkpoints (that would open a false P1)."""
    from reporting.audit import sealing

    for hour in range(3):
        open_breach(at=T0 + timedelta(hours=hour), title=f"Breach {hour}")
    monkeypatch.setattr(sealing, "SIGN_EVERY", 0)  # every batch of the run is "late"
    verdicts = []
    result = seal_pending(
        batch_size=3,
        progress=lambda n: verdicts.append(
            verify_chain(now=timezone.now() + timedelta(hours=2)).ok
        ),
    )
    assert len(verdicts) > 5 and all(verdicts)
    assert AuditCheckpoint.objects.count() > 5
    assert AuditCheckpoint.objects.order_by("last_sequence").last().last_sequence == (
        result.last_sequence
    )
    assert verify_chain(now=timezone.now() + timedelta(hours=2)).ok


def test_sealing_while_verify_audit_walks_is_not_tampering(sealed, open_breach):
    """The head is read before the walk: seals added meanwhile only extend the chain."""
    sealed_during = []

    def seal_meanwhile(count):
        if not sealed_during:
            open_breach(at=T0 + timedelta(hours=8), title="Meanwhile")
            sealed_during.append(seal_pending(now=T0).sealed)

    result = verify_chain(progress=seal_meanwhile)
    assert sealed_during[0] > 0
    assert result.ok, result.message
    assert result.signed_head[0] <= result.last_sequence
    assert verify_chain().ok


def test_a_forged_good_run_does_not_hide_the_genuine_proof(sealed):
    assert verify_new_segments(now=T0).ok
    forge_row_and_drop_checkpoints()
    seal_pending(now=T0)
    forged_head = AuditSeal.objects.order_by("-sequence").first()
    # Inserting is allowed (the log is append-only): a "good run" at the forged head.
    AuditVerification.objects.create(
        started_at=T0,
        first_sequence=1,
        last_sequence=forged_head.sequence,
        last_hash=forged_head.hash,
        checked=forged_head.sequence,
        ok=True,
    )
    result = verify_chain(now=T0)
    assert not result.ok and "differs from an earlier verification" in result.message


def test_a_chain_head_ahead_of_the_seals_is_detected(sealed, capsys):
    with attacker():
        AuditChainHead.objects.update(last_sequence=sealed.last_sequence + 2)
    code, output = verify_command(capsys)
    assert code == 1 and f"first bad sequence {sealed.last_sequence + 1}" in output


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--from", "3"], "no checkpoint ends at 2"),
        (["--from", "0"], "sequences start at 1"),
        (["--expect", "12:abc"], "SEQUENCE:HASH"),
        (["--expect", "0:" + "a" * 64], "SEQUENCE:HASH"),
    ],
)
def test_verify_audit_usage_errors_are_not_tamper_failures(sealed, arguments, message):
    with pytest.raises(CommandError, match=message) as error:
        call_command("verify_audit", "--no-progress", *arguments)
    assert error.value.returncode == 2


def test_the_beat_verifier_opens_one_p1_incident_on_tampering(sealed):
    first = verify_new_segments(now=T0)
    assert first.ok and first.checked == sealed.sealed
    with attacker():
        AuditSeal.objects.filter(sequence=2).update(hash="f" * 64)
    # The next segment only: an unchanged start is not re-walked...
    assert verify_new_segments(now=T0).ok
    # ...but the full check (verify_audit) catches it, and a new segment after a bad one
    # fails when its anchor checkpoint no longer matches.
    assert not verify_chain().ok
    failed = verify_new_segments(now=T0, full=True)
    assert not failed.ok and failed.first_bad_sequence == 2
    incident = failed.incident
    assert incident.severity == Severity.P1
    assert "sequence 2" in incident.title
    again = verify_new_segments(now=T0, full=True)
    assert again.incident == incident
    assert Incident.objects.filter(title__startswith="Audit trail tampering").count() == 1


def test_the_nightly_full_verification_is_scheduled_and_runs_the_whole_chain(sealed):
    from config.celery import app
    from reporting.audit.tasks import verify_audit_full

    entry = app.conf.beat_schedule["verify-audit-full"]
    assert entry["task"] == "reporting.verify_audit_full" == verify_audit_full.name
    assert entry["schedule"].hour == {3} and entry["schedule"].minute == {30}
    assert verify_audit_full() is True
    assert AuditVerification.objects.latest("pk").checked == sealed.sealed
    with attacker():
        AuditSeal.objects.filter(sequence=3).update(row_digest="0" * 64)
    assert verify_audit_full() is False
    assert AuditVerification.objects.latest("pk").first_bad_sequence == 3


# --- PostgreSQL: the database itself refuses edits -------------------------------------------
def truncate(table: str) -> None:
    with connection.cursor() as cursor:
        # Deferred FK checks from this test's inserts would block TRUNCATE for another reason.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {table} CASCADE")


@pytest.mark.postgres
def test_triggers_refuse_update_and_delete_on_history_and_seals(sealed):
    protected = tables_with_trigger()
    names = {model._meta.db_table for model in sealable_models().values()}
    audit = {"reporting_auditseal", "reporting_auditcheckpoint", "reporting_auditverification"}
    assert names | audit <= protected
    assert names | audit <= tables_with_trigger(trigger="harbormaster_no_truncate")
    verify_new_segments(now=T0)
    history = sealable_models()["incidents.historicalincident"]
    for attempt in (
        lambda: history.objects.update(title="x"),
        lambda: history.objects.all().delete(),
        lambda: AuditSeal.objects.filter(sequence=1).update(hash="0" * 64),
        lambda: AuditSeal.objects.filter(sequence=1).delete(),
        lambda: AuditCheckpoint.objects.update(signature=""),
        lambda: AuditVerification.objects.update(ok=False),
        lambda: AuditVerification.objects.all().delete(),
        # TRUNCATE skips row triggers; a statement trigger refuses it.
        lambda: truncate(history._meta.db_table),
        lambda: truncate("reporting_auditseal"),
        lambda: truncate("reporting_auditcheckpoint"),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    assert verify_chain().ok


@pytest.mark.postgres
def test_install_audit_triggers_is_idempotent(capsys):
    call_command("install_audit_triggers")
    call_command("install_audit_triggers")
    assert "Append-only trigger on" in capsys.readouterr().out


@pytest.mark.postgres
def test_concurrent_sealers_never_fork_the_chain(
    migrated_data_kept, django_db_serialized_rollback, transactional_db, open_breach
):
    for hour in range(6):
        open_breach(at=T0 + timedelta(hours=hour), title=f"Concurrent {hour}")
    total = history_row_count()
    errors = []
    barrier = threading.Barrier(4)

    def run():
        try:
            barrier.wait()
            seal_pending(now=T0, batch_size=7)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert AuditSeal.objects.count() == total
    assert list(AuditSeal.objects.order_by("sequence").values_list("sequence", flat=True)) == list(
        range(1, total + 1)
    )
    assert verify_chain().ok
