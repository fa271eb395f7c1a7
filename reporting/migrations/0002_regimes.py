"""Seed the notification regimes from ../shared/design/regulatory-clocks.md (2026).

Reference data, editable in admin afterwards; not legal advice. Re-running is idempotent
(update_or_create by code), so an edited row is only overwritten by a new migration."""

from django.db import migrations

V2026 = "2026-01 (regulatory-clocks.md)"

GDPR_33_CONTENTS = [
    {"key": "nature", "label": "Art. 33(3)(a) nature of the breach, categories and approximate number of data subjects and of records"},
    {"key": "data_subject_categories", "label": "Art. 33(3)(a) categories of data subjects"},
    {"key": "approx_data_subjects", "label": "Art. 33(3)(a) approximate number of data subjects"},
    {"key": "data_categories", "label": "Art. 33(3)(a) categories of personal data records"},
    {"key": "approx_records", "label": "Art. 33(3)(a) approximate number of records"},
    {"key": "dpo_contact", "label": "Art. 33(3)(b) name and contact details of the DPO or other contact point"},
    {"key": "likely_consequences", "label": "Art. 33(3)(c) likely consequences of the breach"},
    {"key": "measures", "label": "Art. 33(3)(d) measures taken or proposed, including mitigation"},
]


def _c(*pairs):
    return [{"key": key, "label": label} for key, label in pairs]


REGIMES = [
    {
        "code": "gdpr-33",
        "name": "GDPR Art. 33 (supervisory authority)",
        "jurisdiction": "EU",
        "clock_starts": "controller becomes aware",
        "source": "Regulation (EU) 2016/679 Art. 33",
        "notes": "Later than 72 h only with reasons for the delay; may be phased. Art. 33(5): every breach is documented, notified or not.",
        "stages": [
            dict(code="notification", name="Notification to the lead supervisory authority", anchor="awareness", amount=72, unit="hours", recipient="Lead supervisory authority", applicability="always", deadline_text="≤ 72 h after awareness", required_contents=GDPR_33_CONTENTS),
        ],
    },
    {
        "code": "gdpr-34",
        "name": "GDPR Art. 34 (data subjects)",
        "jurisdiction": "EU",
        "clock_starts": "breach likely to result in high risk to individuals",
        "source": "Regulation (EU) 2016/679 Art. 34",
        "notes": "Exemptions: encrypted data, risk removed, disproportionate effort (then public notice).",
        "stages": [
            dict(code="data-subjects", name="Communication to data subjects", anchor="awareness", amount=None, unit="hours", recipient="Data subjects", applicability="high_risk", deadline_text="without undue delay (no hour count)", required_contents=_c(("nature", "Plain-language nature of the breach"), ("dpo_contact", "Contact point"), ("likely_consequences", "Likely consequences"), ("measures", "Measures taken or proposed"))),
        ],
    },
    {
        "code": "nis2",
        "name": "NIS2 Art. 23",
        "jurisdiction": "EU",
        "clock_starts": "aware of a significant incident",
        "source": "Directive (EU) 2022/2555 Art. 23",
        "notes": "Progress report instead of the final one if the incident is still ongoing.",
        "stages": [
            dict(code="early-warning", name="Early warning", anchor="awareness", amount=24, unit="hours", recipient="CSIRT / competent authority", applicability="always", deadline_text="≤ 24 h after awareness", required_contents=_c(("suspected_malicious", "Suspected unlawful or malicious cause"), ("cross_border", "Possible cross-border impact"))),
            dict(code="notification", name="Incident notification", anchor="awareness", amount=72, unit="hours", recipient="CSIRT / competent authority", applicability="always", deadline_text="≤ 72 h after awareness", required_contents=_c(("severity", "Initial assessment: severity"), ("impact", "Impact"), ("indicators", "Indicators of compromise"))),
            dict(code="final", name="Final report", anchor="previous_stage", amount=1, unit="calendar_months", recipient="CSIRT / competent authority", applicability="always", deadline_text="≤ 1 month after the incident notification", required_contents=_c(("description", "Detailed description"), ("root_cause", "Type of threat or root cause"), ("mitigations", "Mitigation measures applied and ongoing"), ("cross_border", "Cross-border impact"))),
        ],
    },
    {
        "code": "dora",
        "name": "DORA Art. 19 (+ RTS 2025/301)",
        "jurisdiction": "EU",
        "clock_starts": "incident classified as major (and awareness)",
        "source": "Regulation (EU) 2022/2554 Art. 19; RTS 2025/301; ITS 2025/302",
        "notes": "Initial report ≤ 4 h after classification and ≤ 24 h after awareness: record the classification time; the earlier bound is checked by hand.",
        "stages": [
            dict(code="initial", name="Initial notification", anchor="classification", amount=4, unit="hours", recipient="Competent authority", applicability="always", deadline_text="≤ 4 h after classification, ≤ 24 h after awareness", required_contents=_c(("reference", "Incident reference"), ("detection_classification_times", "Detection and classification times"), ("description", "Description"), ("criteria", "Classification criteria triggered"), ("member_states", "Member states affected"), ("discovery", "How it was discovered"), ("origin", "Origin"), ("business_continuity", "Business continuity plan activated"))),
            dict(code="intermediate", name="Intermediate report", anchor="previous_stage", amount=72, unit="hours", recipient="Competent authority", applicability="always", deadline_text="≤ 72 h after the initial notification was submitted", required_contents=_c(("update", "Updated information per ITS 2025/302"))),
            dict(code="final", name="Final report", anchor="previous_stage", amount=1, unit="calendar_months", recipient="Competent authority", applicability="always", deadline_text="≤ 1 month after the latest intermediate report", required_contents=_c(("root_cause", "Root cause"), ("resolution", "Resolution and lessons"))),
        ],
    },
    {
        "code": "sec-8k",
        "name": "SEC Form 8-K Item 1.05",
        "jurisdiction": "US",
        "clock_starts": "registrant determines the incident is material",
        "source": "17 CFR 229.106; Form 8-K Item 1.05",
        "stages": [
            dict(code="8k", name="Form 8-K Item 1.05 filing", anchor="determination", amount=4, unit="business_days", recipient="SEC (public filing)", applicability="always", deadline_text="4 business days after the materiality determination", required_contents=_c(("nature_scope_timing", "Material aspects of nature, scope and timing"), ("material_impact", "Material impact or reasonably likely material impact"))),
        ],
    },
    {
        "code": "hipaa",
        "name": "HIPAA Breach Notification Rule",
        "jurisdiction": "US",
        "clock_starts": "discovery",
        "source": "45 CFR 164.404–164.410",
        "stages": [
            dict(code="individuals", name="Notice to individuals", anchor="discovery", amount=60, unit="calendar_days", recipient="Affected individuals", applicability="always", deadline_text="≤ 60 calendar days after discovery", required_contents=_c(("what_happened", "What happened, breach and discovery dates"), ("phi_types", "Types of PHI involved"), ("steps_for_individuals", "Steps individuals should take"), ("what_we_do", "What the entity is doing"), ("contacts", "Contact procedures"))),
            dict(code="hhs-500", name="Notice to HHS (500 or more)", anchor="discovery", amount=60, unit="calendar_days", recipient="HHS", applicability="subjects_gte", threshold=500, deadline_text="with the individual notices if ≥ 500 affected", required_contents=_c(("what_happened", "What happened"), ("phi_types", "Types of PHI involved"))),
            dict(code="hhs-annual", name="Notice to HHS (fewer than 500, annual log)", anchor="discovery_year_end", amount=60, unit="calendar_days", recipient="HHS", applicability="subjects_lt", threshold=500, deadline_text="≤ 60 days after the end of the calendar year", required_contents=_c(("what_happened", "What happened"))),
            dict(code="media", name="Notice to prominent media", anchor="discovery", amount=60, unit="calendar_days", recipient="Prominent media outlets of the state", applicability="any_state_residents_gt", threshold=500, deadline_text="≤ 60 days if > 500 residents of one state", required_contents=_c(("what_happened", "What happened"), ("contacts", "Contact procedures"))),
        ],
    },
    {
        "code": "pci-dss",
        "name": "PCI DSS v4 12.10.1",
        "jurisdiction": "Card brands",
        "clock_starts": "suspected or confirmed cardholder-data compromise",
        "source": "PCI DSS v4.0 Requirement 12.10.1; card-brand rules",
        "notes": "No fixed clock in the standard; card-brand rules, typically immediately.",
        "stages": [
            dict(code="acquirer", name="Notice to acquirer and payment brands", anchor="discovery", amount=None, unit="hours", recipient="Acquirer, payment brands", applicability="always", deadline_text="per brand rules, typically immediately", required_contents=_c(("per_brand", "Per card-brand requirements"))),
        ],
    },
    {
        "code": "colorado",
        "name": "Colorado C.R.S. 6-1-716",
        "jurisdiction": "US-CO",
        "state": "CO",
        "clock_starts": "determination that a breach occurred",
        "source": "C.R.S. 6-1-716",
        "stages": [
            dict(code="residents", name="Notice to Colorado residents", anchor="determination", amount=30, unit="calendar_days", recipient="Colorado residents", applicability="always", deadline_text="≤ 30 days after determination", required_contents=_c(("estimated_breach_date", "Estimated date of the breach"), ("personal_data", "Personal data involved"))),
            dict(code="attorney-general", name="Notice to the Colorado Attorney General", anchor="determination", amount=30, unit="calendar_days", recipient="Colorado Attorney General", applicability="state_residents_gte", threshold=500, deadline_text="≤ 30 days if ≥ 500 residents", required_contents=_c(("estimated_breach_date", "Estimated date of the breach"), ("personal_data", "Personal data involved"))),
        ],
    },
    {
        "code": "texas",
        "name": "Texas BCC 521.053",
        "jurisdiction": "US-TX",
        "state": "TX",
        "clock_starts": "determination",
        "source": "Tex. Bus. & Com. Code § 521.053",
        "stages": [
            dict(code="individuals", name="Notice to individuals", anchor="determination", amount=60, unit="calendar_days", recipient="Affected individuals", applicability="always", deadline_text="≤ 60 days after determination", required_contents=[]),
            dict(code="attorney-general", name="Notice to the Texas Attorney General", anchor="determination", amount=30, unit="calendar_days", recipient="Texas Attorney General", applicability="state_residents_gte", threshold=250, deadline_text="≤ 30 days if ≥ 250 residents", required_contents=[]),
        ],
    },
]


def seed(apps, schema_editor):
    Regime = apps.get_model("reporting", "Regime")
    RegimeStage = apps.get_model("reporting", "RegimeStage")
    for data in REGIMES:
        data = dict(data)
        stages = data.pop("stages")
        regime, _ = Regime.objects.update_or_create(
            code=data.pop("code"), defaults={**data, "rule_version": V2026}
        )
        for order, stage in enumerate(stages, start=1):
            stage = dict(stage)
            RegimeStage.objects.update_or_create(
                regime=regime,
                code=stage.pop("code"),
                defaults={**stage, "order": order, "rule_version": V2026, "source": regime.source},
            )


class Migration(migrations.Migration):
    dependencies = [("reporting", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
