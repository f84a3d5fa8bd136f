"""Every route and the permission it needs. A new route must be added here, or the
matrix test fails: this file is the reviewed list of who may open what.

Values: "public", or the lowest permission that may use the route. Below it the answer is
403. A route to one person's record (their evidence, self-certification or quiz attempt)
answers someone who may not see that record 404, as for a missing id, so that ids cannot be
probed: tests/test_private_records.py.
"""

ROUTES: dict[str, str] = {
    # auth
    "auth.login": "public",
    "auth.logout": "learner",
    "auth.setup": "public",
    "auth.accept_invitation": "public",
    "auth.forgot_password": "public",
    "auth.reset_password": "public",
    "auth.change_password": "learner",
    # the second factor (lms/auth/second_factor): the code pages, the person's own page, an
    # administrator's reset and setting
    "auth.enter_second_factor": "learner",
    "auth.enrol_second_factor": "learner",
    "auth.show_second_factor": "learner",
    "auth.reset_second_factor": "admin",
    "auth.edit_second_factor_settings": "admin",
    "auth.sso_start": "public",
    "auth.sso_callback": "public",
    # main
    "main.home": "learner",
    "main.raise_concern": "public",
    "main.healthz": "public",
    # admin
    "admin.edit_contacts": "admin",
    "admin.edit_reminders": "admin",
    "admin.list_outbox": "admin",
    "admin.show_outbox_message": "admin",
    "admin.send_outbox_message_again": "admin",
    # people
    "people.list_people": "lead",
    "people.bulk_action": "lead",
    "people.invite_person": "lead",
    "people.show_person": "lead",
    "people.edit_person": "lead",
    "people.invite_again": "lead",
    "people.new_invitation_link": "lead",
    "people.deactivate_person": "lead",
    "people.reactivate_person": "lead",
    "people.export_personal_data": "admin",
    "people.import_roster": "lead",
    "people.confirm_import": "lead",
    "people.list_audit": "lead",
    "people.export_audit": "lead",
    # oversight
    "oversight.show_overview": "director",
    "oversight.show_dashboard": "director",
    "oversight.list_overdue": "director",
    "oversight.show_person": "director",
    "oversight.export_csv": "lead",
    "oversight.export_pdf": "lead",
    "oversight.download_pack": "director",
    "oversight.show_plan": "admin",
    # courses
    "courses.list_courses": "learner",
    "courses.show_course": "learner",
    "courses.show_lesson": "learner",
    "courses.mark_lesson_read": "learner",
    "courses.show_image": "learner",
    # quizzes
    "quizzes.show_quiz": "learner",
    "quizzes.start_quiz": "learner",
    "quizzes.take_attempt": "learner",
    "quizzes.submit_attempt": "learner",
    "quizzes.save_answers": "learner",
    "quizzes.show_result": "learner",
    "quizzes.list_results": "lead",
    "quizzes.show_results": "lead",
    "quizzes.show_question_figures": "lead",
    "quizzes.export_attempts": "lead",
    "quizzes.export_responses": "lead",
    # records
    "records.import_records_page": "lead",
    "records.remind": "lead",
    # evidence
    "evidence.upload_certificate": "learner",
    "evidence.list_my_evidence": "learner",
    "evidence.withdraw_evidence": "learner",
    "evidence.download_evidence": "learner",
    "evidence.list_pending": "lead",
    "evidence.review_evidence": "lead",
    "evidence.verify_evidence": "lead",
    "evidence.reject_evidence": "lead",
    "evidence.self_certify": "learner",
    "evidence.list_attestations": "director",
    "evidence.show_attestation": "learner",
    "evidence.edit_declaration": "admin",
    "evidence.acknowledge_policy": "learner",
    "evidence.list_certificates": "learner",
    "evidence.download_plan_certificate": "learner",
    "evidence.download_course_certificate": "learner",
    "evidence.find_certificate": "public",
    "evidence.verify_certificate": "public",
    # team: a line manager's reports (also the MANAGER relation: RELATIONS below)
    "team.show_team": "learner",
    "team.remind_member": "learner",
    # calendar: the link on My training, and the feed it opens. The feed is the one personal
    # address that answers without signing in (calendar apps cannot sign in): its secret
    # token is the credential, a wrong or reset one answers 404 (tests/test_calendar_feed.py).
    "calendar.new_link": "learner",
    "calendar.show_feed": "public",
}

# Routes that also need a relation to the person they show (lms/permissions.py: Relation).
# Without it they answer 404, whatever the permission: tests/test_line_managers.py.
RELATIONS: dict[str, str] = {
    "team.show_team": "manager",
    "team.remind_member": "manager",
}
