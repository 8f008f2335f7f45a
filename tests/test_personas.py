"""The default rule packs serve the people of domain.md well, and others from the seeds.

Each test runs one person through ``Engine.default()`` (cap of 5, as a real
run would) and checks what they must and must not get. The first group is
the persona table of domain.md; the second is our own, one idea from the
seeds each.
"""

import datetime as dt

import pytest

import devrecs

AS_OF = dt.date(2026, 6, 30)
IC = "individual_contributor"


@pytest.fixture(scope="module")
def engine():
    return devrecs.Engine.default()


def own(engine, person):
    """The interventions recommended for the person themself."""
    return {r.intervention for r in engine.recommend(person, as_of=AS_OF) if r.subject == person["id"]}


def everything(engine, person):
    """The interventions recommended for anyone (the person or their manager) because of this person."""
    return {r.intervention for r in engine.recommend(person, as_of=AS_OF)}


def check(engine, person, must_get=(), must_not_get=()):
    got = own(engine, person)
    missing = set(must_get) - got
    assert not missing, f"{person['id']} should get {sorted(missing)}; got {sorted(got)}"
    wrong = set(must_not_get) & everything(engine, person)
    assert not wrong, f"{person['id']} must not get {sorted(wrong)}; got {sorted(got)}"


# -- the persona table of domain.md ---------------------------------------------

def test_deep_expert(engine):
    check(engine, {
        "id": "deep-expert", "track": IC, "performance": "high", "potential": "low",
        "aspiration": "technical",
        "gaps": [{"skill": "communication", "severity": "medium"},
                 {"skill": "strategic_thinking", "severity": "medium"}],
    }, must_get=["expert-leadership-program", "communication-skills", "strategic-thinking",
                 "technical-career-path"],
       must_not_get=["leadership-pipeline-program"])


def test_deep_expert_with_mild_gaps_and_senior_stage(engine):
    # The same person, with low-severity gaps and a senior career stage (more
    # rules fire): the four must-get items still win the cap.
    check(engine, {
        "id": "deep-expert-2", "track": IC, "performance": "high", "potential": "low",
        "aspiration": "technical", "career_stage": "senior",
        "gaps": [{"skill": "communication", "severity": "low"},
                 {"skill": "strategic_thinking", "severity": "low"}],
    }, must_get=["expert-leadership-program", "communication-skills", "strategic-thinking",
                 "technical-career-path"],
       must_not_get=["leadership-pipeline-program"])


def test_early_career_high_performer(engine):
    check(engine, {"id": "early", "track": IC, "career_stage": "early", "performance": "high"},
          must_get=["mentoring", "new-technology-learning", "career-conversation"])


def test_early_career_from_tenure(engine):
    # career_stage derived from tenure_years (under 3 years is early).
    check(engine, {"id": "early-2", "track": IC, "tenure_years": 1.5, "performance": "high"},
          must_get=["mentoring", "new-technology-learning", "career-conversation"])


def test_senior_ic_at_flight_risk_and_underpaid(engine):
    person = {"id": "senior", "track": IC, "career_stage": "senior", "performance": "high",
              "flight_risk": "high", "compa_ratio": 0.85}
    check(engine, person, must_get=["career-conversation", "compensation-review"])
    assert own(engine, person) & {"special-advisor-track", "cross-discipline-team-time"}


def test_new_manager_who_may_regret_it(engine):
    check(engine, {"id": "new-mgr", "history_complete": True,
                   "track": "manager", "months_in_role": 6, "engagement": "low",
                   "aspiration": "technical"},
          must_get=["role-refit-conversation", "new-manager-training"])


def test_low_performer_on_pip_with_time_gap(engine):
    check(engine, {"id": "pip", "track": IC, "performance": "low", "performance_plan": "pip",
                   "gaps": [{"skill": "time_management", "severity": "medium"}]},
          must_get=["performance-advisor", "time-management-skills"],
          must_not_get=["coaching"])


def test_wellbeing_concern(engine):
    # Audience filtering (manager view) comes later; here only the referral.
    check(engine, {"id": "wellbeing", "track": IC, "wellbeing_concern": True},
          must_get=["wellbeing-referral"])


def test_wellbeing_referral_survives_a_full_list(engine):
    # Priority 100: even a person many rules fire for keeps the referral.
    check(engine, {"id": "wellbeing-2", "track": IC, "performance": "high", "potential": "low",
                   "aspiration": "technical", "career_stage": "senior", "flight_risk": "high",
                   "compa_ratio": 0.8, "wellbeing_concern": True,
                   "gaps": [{"skill": "communication", "severity": "high"}]},
          must_get=["wellbeing-referral"])


def test_pipeline_graduate_waiting_18_months(engine):
    person = {"id": "graduate", "track": IC, "performance": "high", "potential": "high",
              "pipeline": {"status": "graduate", "months_waiting": 18}}
    assert own(engine, person) & {"leadership-placement", "external-move-support"}


def test_wants_to_manage_for_power(engine):
    # Star cell and a management aspiration: without the power motive this
    # person would be a pipeline candidate.
    check(engine, {"id": "power", "track": IC, "performance": "high", "potential": "high",
                   "aspiration": "management", "leadership_motive": "power"},
          must_get=["leadership-motivation-conversation"],
          must_not_get=["leadership-pipeline-program"])


def test_manager_with_several_high_flight_risk_reports(engine):
    """coaching-conversations-training to that manager (a team rule)."""
    people = [{"id": "boss", "track": "manager", "months_in_role": 30}] + [
        {"id": f"r{i}", "track": IC, "manager_id": "boss", "flight_risk": "high"} for i in range(4)]
    result = engine.recommend_organization(people, as_of=AS_OF)
    got = [(r.intervention, r.subject) for r in result.teams["boss"]]
    assert ("coaching-conversations-training", "boss") in got
    # and not for a manager whose people are settled
    settled = [dict(p, flight_risk="low") if p["id"] != "boss" else p for p in people]
    assert engine.recommend_organization(settled, as_of=AS_OF).teams["boss"] == []


def test_organization_with_few_ics_in_development(engine):
    """ic-development-program when under a quarter of ICs have any development intervention."""
    def org(developing):
        people = [{"id": "m", "track": "manager"}]
        for i in range(8):
            history = [{"intervention": "mentoring", "date": "2026-04-01", "outcome": "accepted"}] if i < developing else []
            people.append({"id": f"ic{i}", "track": IC, "manager_id": "m", "history": history,
                           "history_complete": True})
        return [r.intervention for r in engine.recommend_organization(people, as_of=AS_OF).organization]
    assert "ic-development-program" in org(developing=1)        # 12.5%
    assert "ic-development-program" not in org(developing=4)    # 50%


# -- our own personas, from the seeds ------------------------------------------

def test_expert_wanting_visibility(engine):
    # seed 002: chances to speak at events and attend industry conferences.
    check(engine, {"id": "visible", "track": IC, "career_stage": "mid", "performance": "medium",
                   "aspiration": "technical", "interests": ["public-speaking", "conferences"]},
          must_get=["speaking-opportunity", "conference-attendance"],
          must_not_get=["coaching", "leadership-pipeline-program"])


def test_regretted_promotion(engine):
    # seed 002: people find out after the promotion that managing is not for
    # them; a safe conversation with a way back, and proper training.
    check(engine, {"id": "regret", "history_complete": True,
                   "track": "manager", "months_in_role": 10,
                   "aspiration": "technical", "engagement": "medium", "performance": "medium"},
          must_get=["role-refit-conversation", "new-manager-training"],
          must_not_get=["leadership-pipeline-program", "performance-advisor"])


def test_settled_new_manager_gets_no_role_refit(engine):
    # seed 002: the role-fit talk is for those with doubts, not every new manager.
    check(engine, {"id": "settled", "history_complete": True,
                   "track": "manager", "months_in_role": 3,
                   "aspiration": "management", "engagement": "high"},
          must_get=["new-manager-training"],
          must_not_get=["role-refit-conversation"])


def test_new_manager_who_already_had_the_training(engine):
    # seed 002: new-manager training is taken once per move into management.
    check(engine, {"id": "trained", "track": "manager", "months_in_role": 4,
                   "aspiration": "technical",
                   "history": [{"intervention": "new-manager-training", "date": "2019-03-01",
                                "outcome": "completed"}]},
          must_get=["role-refit-conversation"],
          must_not_get=["new-manager-training"])


def test_leader_for_the_right_reasons(engine):
    # seed 003: develop high performers with high potential who want to lead
    # in order to serve others.
    check(engine, {"id": "servant", "pipeline": {"status": "none"},
                   "track": IC, "performance": "high", "potential": "high",
                   "aspiration": "management", "leadership_motive": "service"},
          must_get=["leadership-pipeline-program"],
          must_not_get=["leadership-motivation-conversation", "expert-leadership-program"])


def test_leader_with_unknown_motive_talks_first(engine):
    # seed 003: wanting to lead is not enough; the reasons matter, so find
    # them out before the programme.
    check(engine, {"id": "unknown-motive", "track": IC, "performance": "high", "potential": "high",
                   "aspiration": "management", "leadership_motive": "unknown"},
          must_get=["career-conversation"],
          must_not_get=["leadership-pipeline-program"])


def test_mid_career_expert_wanting_a_project(engine):
    # seeds 001 and 002: an individual contributor can lead projects without
    # managing people, with project management skills to match.
    check(engine, {"id": "projects", "track": IC, "career_stage": "mid", "performance": "high",
                   "potential": "high", "aspiration": "technical", "engagement": "high",
                   "interests": ["leading-projects"]},
          must_get=["project-lead-role", "project-management-skills"],
          must_not_get=["leadership-pipeline-program", "new-manager-training"])


def test_learner_with_interests(engine):
    # seed 003: learning built into the job; seed 002: further education;
    # seed 001: fund certifications.
    check(engine, {"id": "learner", "history_complete": True,
                   "track": IC, "career_stage": "mid", "performance": "medium",
                   "aspiration": "undecided", "months_in_role": 30, "interests": ["mba", "certification"]},
          must_get=["learning-time", "further-education", "certification-funding"],
          must_not_get=["performance-advisor", "coaching"])


def test_senior_expert_mentors_others(engine):
    # seed 002: experienced contributors mentor others and own a speciality.
    # Mentees are few, so the strongest senior contributors are asked; with
    # no job level or time in role on record, no special advisor track.
    check(engine, {"id": "senior-mentor", "track": IC, "career_stage": "senior",
                   "performance": "high", "aspiration": "technical"},
          must_get=["mentor-others", "subject-matter-ownership"],
          must_not_get=["special-advisor-track", "mentoring"])


def test_good_rating_but_informal_plan(engine):
    # seed 003: someone working to an improvement plan needs a performance
    # advisor, not strengths coaching, even with a high rating on record.
    check(engine, {"id": "informal", "track": IC, "performance": "high",
                   "performance_plan": "informal", "career_stage": "senior"},
          must_get=["performance-advisor"],
          must_not_get=["coaching", "mentor-others"])


def test_specialist_with_a_vision_gap(engine):
    # seed 000: the expert leadership programme covers vision, conflict,
    # change, ambiguity and links to senior leaders.
    check(engine, {"id": "vision", "track": IC, "performance": "medium", "potential": "medium",
                   "aspiration": "technical", "career_stage": "mid", "months_in_role": 20,
                   "gaps": [{"skill": "vision", "severity": "high"}]},
          must_get=["expert-leadership-program"],
          must_not_get=["leadership-pipeline-program"])


def test_specialist_who_sees_no_future_here(engine):
    # seed 002: contributors who do not want to manage become a flight risk
    # without a visible future; connect them to mentors and show the path.
    check(engine, {"id": "no-future", "track": IC, "career_stage": "mid", "performance": "medium",
                   "aspiration": "technical", "flight_risk": "medium"},
          must_get=["technical-career-path", "mentoring"],
          must_not_get=["role-refit-conversation", "leadership-pipeline-program"])


def test_valued_person_drifting_away(engine):
    # seed 001: find out what would keep a valued contributor and give them a
    # fresh challenge. One report at risk says little about the manager: the
    # coaching-conversation training comes from the team rule
    # (organization.yaml), not from this person alone.
    person = {"id": "drifting", "track": IC, "career_stage": "mid", "performance": "high",
              "engagement": "low", "flight_risk": "high", "manager_id": "boss-1"}
    check(engine, person, must_get=["career-conversation", "cross-discipline-team-time"],
          must_not_get=["performance-advisor", "coaching-conversations-training"])


def test_graduate_waiting_a_short_while_is_placed_not_moved_out(engine):
    # seed 003: place graduates first; help them leave only when no seat can
    # be found.
    check(engine, {"id": "short-wait", "track": IC, "performance": "high", "potential": "high",
                   "pipeline": {"status": "graduate", "months_waiting": 8}},
          must_get=["leadership-placement"],
          must_not_get=["external-move-support", "leadership-pipeline-program"])


def test_interested_in_service_outside_work(engine):
    # seed 001: support the use of skills on non-profit boards and in public service.
    check(engine, {"id": "service", "track": IC, "career_stage": "mid", "performance": "medium",
                   "aspiration": "undecided", "interests": ["non-profit"]},
          must_get=["external-service"],
          must_not_get=["coaching", "performance-advisor"])


def test_traveller_and_reader(engine):
    # seed 002: travel for those interested, and a subscription to an
    # industry publication.
    check(engine, {"id": "traveller", "history_complete": True,
                   "track": IC, "performance": "medium", "months_in_role": 30,
                   "interests": ["Travel", "industry news"]},
          must_get=["travel-opportunity", "industry-publication-subscription", "learning-time"],
          must_not_get=["external-move-support", "coaching"])


def test_networker(engine):
    # seed 001: peers in other industries, professional associations.
    check(engine, {"id": "networker", "track": IC, "performance": "medium",
                   "interests": ["networking"]},
          must_get=["cross-industry-network", "professional-association", "conference-attendance"],
          must_not_get=["coaching"])


def test_disengaged_person_gets_learning_time(engine):
    # seed 003: people switch off when not challenged; learning is wellness.
    check(engine, {"id": "bored", "track": IC, "engagement": "low", "performance": "medium"},
          must_get=["learning-time", "career-conversation"],
          must_not_get=["performance-advisor", "coaching-conversations-training"])


def test_recent_cooldown_removes_a_repeat(engine):
    # The catalog's cooldown: mentoring accepted three months ago is not
    # offered again, even early in a career.
    check(engine, {"id": "mentored", "track": IC, "career_stage": "early", "performance": "medium",
                   "history": [{"intervention": "mentoring", "date": "2026-03-30",
                                "outcome": "accepted"}]},
          must_get=["new-technology-learning", "career-conversation"],
          must_not_get=["mentoring"])


# -- issue 16: advice a practitioner would sign ------------------------------------
# Each persona names the seed and the point it stands for. People here are not in
# the sample: the default packs are tried on people that are not in the repository.

PATH_ITEMS = ["technical-career-path", "special-advisor-track", "project-lead-role",
              "leadership-pipeline-program"]
STRETCH_AND_REWARD = ["conference-attendance", "travel-opportunity", "further-education",
                      "technical-career-path", "special-advisor-track", "cross-discipline-team-time",
                      "compensation-review", "coaching", "mentor-others", "speaking-opportunity",
                      "expert-leadership-program", "project-lead-role", "leadership-pipeline-program",
                      "career-conversation", "certification-funding", "learning-time"]


def reasons(engine, person, intervention, audience):
    recs = engine.recommend_for(person, audience, as_of=AS_OF)
    return " ".join(t for r in recs if r.intervention == intervention for t in r.rationale)


def test_unknown_aspiration_is_asked_not_guessed(engine):
    # seed 001, first practice: hold career aspiration discussions before choosing offers.
    person = {"id": "no-aspiration", "track": IC, "career_stage": "senior", "level": 5,
              "months_in_role": 40, "performance": "high"}
    check(engine, person, must_get=["career-conversation"], must_not_get=PATH_ITEMS)
    assert "write your answer down" in reasons(engine, person, "career-conversation", "employee")
    assert "record the answer" in reasons(engine, person, "career-conversation", "manager")


def test_recorded_aspiration_opens_the_path_items(engine):
    # seed 001: a technical lead role with an executive interface, once the person says they want to stay technical.
    person = {"id": "says-technical", "track": IC, "career_stage": "senior", "level": 5,
              "months_in_role": 40, "performance": "high", "aspiration": "technical"}
    check(engine, person, must_get=["special-advisor-track", "technical-career-path"])


def test_incomplete_history_is_not_read_as_no_development(engine):
    # seed 003, learning is wellness: the nudge is for people whose learning has stopped,
    # which an empty record does not show.
    person = {"id": "no-record", "track": IC, "performance": "medium", "months_in_role": 36}
    check(engine, person, must_not_get=["learning-time"])
    stopped = dict(person, id="stopped", history_complete=True, history=[
        {"intervention": "mentoring", "date": "2023-01-10", "outcome": "completed"}])
    check(engine, stopped, must_get=["learning-time"])


def test_pip_with_stretch_interests_gets_only_a_focused_plan(engine):
    # seed 003, performance advisor: prescriptive, focused help; nothing that stretches or rewards.
    person = {"id": "pip-stretch", "track": IC, "career_stage": "senior", "level": 5, "months_in_role": 40,
              "performance": "medium", "performance_plan": "pip", "aspiration": "technical",
              "flight_risk": "high", "compa_ratio": 0.8, "engagement": "low",
              "interests": ["conferences", "travel", "MBA", "public speaking", "certification"],
              "gaps": [{"skill": "time_management", "severity": "medium"},
                       {"skill": "communication", "severity": "low"}]}
    got = own(engine, person)
    assert got == {"performance-advisor", "time-management-skills", "communication-skills"}, got
    check(engine, person, must_not_get=STRETCH_AND_REWARD)


def test_focused_plan_keeps_wellbeing_support(engine):
    # seed 003: counselling for health issues sits beside the advisor, not behind it.
    person = {"id": "pip-wellbeing", "track": IC, "performance": "low", "performance_plan": "pip",
              "wellbeing_concern": True, "interests": ["travel"]}
    assert own(engine, person) == {"performance-advisor", "wellbeing-referral"}


def test_nobody_on_a_plan_is_told_they_are_no_longer_stretched(engine):
    # seed 003: people on a PIP read what the plan is, in plain words.
    person = {"id": "pip-bored", "track": IC, "performance": "low", "performance_plan": "pip",
              "engagement": "low"}
    for audience in ("employee", "manager", "hr"):
        text = " ".join(t for r in engine.recommend_for(person, audience, as_of=AS_OF) for t in r.rationale)
        assert "stretched" not in text and "performance advisor" in text.lower(), audience


def test_when_the_plan_ends_the_stretch_items_come_back(engine):
    # seed 003: the focus lasts until the plan ends.
    person = {"id": "plan-over", "track": IC, "career_stage": "mid", "performance": "medium",
              "performance_plan": "none", "aspiration": "technical", "interests": ["conferences", "travel"]}
    check(engine, person, must_get=["conference-attendance", "technical-career-path"],
          must_not_get=["performance-advisor"])


def test_power_motive_graduate_gets_the_conversation_and_no_seat(engine):
    # seed 003, making leaders: wanting to lead for power needs a long road first; no seat, no pipeline.
    person = {"id": "power-graduate", "track": IC, "performance": "high", "potential": "high",
              "aspiration": "management", "leadership_motive": "power",
              "pipeline": {"status": "graduate", "months_waiting": 20}, "extra": {"open_leadership_positions": 0}}
    check(engine, person, must_get=["leadership-motivation-conversation"],
          must_not_get=["leadership-placement", "external-move-support", "leadership-pipeline-program"])


def test_open_seats_mean_placement_not_a_move_out(engine):
    # seed 003, the bottleneck: promote graduates into positions where they can do good.
    person = {"id": "seat-open", "track": IC, "performance": "high",
              "pipeline": {"status": "graduate", "months_waiting": 20}, "extra": {"open_leadership_positions": 2}}
    check(engine, person, must_get=["leadership-placement", "project-lead-role"],
          must_not_get=["external-move-support"])


def test_no_seat_and_a_long_wait_is_help_to_move_on_never_both(engine):
    # seed 003: when graduates cannot be placed, help them move on; HR's answer is to grow seats.
    person = {"id": "no-seat", "track": IC, "performance": "high",
              "pipeline": {"status": "graduate", "months_waiting": 24}, "extra": {"open_leadership_positions": 0}}
    got = own(engine, person)
    assert "external-move-support" in got and "leadership-placement" not in got
    employee = {r.intervention for r in engine.recommend_for(person, "employee", as_of=AS_OF)}
    assert not employee & {"external-move-support", "leadership-placement"}


def test_waiting_graduate_leads_a_project_in_the_meantime(engine):
    # seed 003: graduates can lead without a formal position while they wait.
    person = {"id": "interim", "track": IC, "performance": "medium",
              "pipeline": {"status": "graduate", "months_waiting": 4}}
    check(engine, person, must_get=["project-lead-role"],
          must_not_get=["leadership-placement", "external-move-support"])


def test_junior_high_performer_is_not_sent_to_senior_programmes(engine):
    # seed 001: training and mentoring for early careers; the advisor track and the
    # two-year expert programme are not for someone three months into a first role.
    person = {"id": "junior-star", "track": IC, "level": 1, "career_stage": "early", "months_in_role": 3,
              "performance": "high", "potential": "low", "aspiration": "technical",
              "gaps": [{"skill": "conflict", "severity": "high"}]}
    check(engine, person, must_get=["mentoring", "new-technology-learning", "career-conversation"],
          must_not_get=["special-advisor-track", "expert-leadership-program"])


def test_many_working_years_at_the_entry_level_is_not_the_advisor_track(engine):
    # seed 001: the special advisor is a senior technical lead role: job level and time in role decide.
    person = {"id": "long-career-level-1", "track": IC, "level": 1, "tenure_years": 25, "months_in_role": 60,
              "performance": "high", "aspiration": "technical"}
    check(engine, person, must_not_get=["special-advisor-track"])


def test_long_tenured_disengaged_manager_gets_a_role_fit_conversation(engine):
    # seed 002: the realisation that managing is not for them can come late; seed 003: stagnant leaders.
    person = {"id": "long-manager", "track": "manager", "months_in_role": 84, "engagement": "low",
              "aspiration": "management"}
    check(engine, person, must_get=["role-refit-conversation"], must_not_get=["new-manager-training"])


def test_free_text_interests_count_at_any_stage(engine):
    # seed 001: clear development opportunities such as learning a new technology; seed 002:
    # speaking, further education; seed 001: service outside work, for the young too.
    senior = {"id": "ml-senior", "track": IC, "career_stage": "senior", "performance": "medium",
              "interests": ["Machine Learning", "Public Speaking"]}
    check(engine, senior, must_get=["new-technology-learning", "speaking-opportunity"])
    young = {"id": "volunteer-young", "track": IC, "career_stage": "early", "performance": "medium",
             "interests": ["volunteering", "Master's"]}
    check(engine, young, must_get=["external-service", "further-education"])


def test_each_audience_reads_its_own_words(engine):
    # seed 001 (career conversations) with domain.md's audience matrix: the employee is never told
    # they may leave, the manager is, HR reads the full reasoning, executives see no role-fit talk.
    person = {"id": "words", "track": IC, "flight_risk": "high", "performance": "medium"}
    employee = reasons(engine, person, "career-conversation", "employee")
    manager = reasons(engine, person, "career-conversation", "manager")
    hr = reasons(engine, person, "career-conversation", "hr")
    assert "your career" in employee and "leav" not in employee and "risk" not in employee
    assert manager.startswith("Your report") and "leaving" in manager
    assert "high risk of leaving" in hr
    regret = {"id": "regret-exec", "track": "manager", "months_in_role": 6, "aspiration": "technical"}
    assert "role-refit-conversation" not in {
        r.intervention for r in engine.recommend_for(regret, "executive", as_of=AS_OF)}


def test_mentoring_others_says_it_waits_for_a_mentee(engine):
    # seed 002: gauge whether experienced contributors would mentor others; mentees are scarce.
    person = {"id": "would-mentor", "track": IC, "career_stage": "senior", "performance": "high"}
    check(engine, person, must_get=["mentor-others"])
    assert "match" in reasons(engine, person, "mentor-others", "employee")
