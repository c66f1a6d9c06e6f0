"""What the field app needs to edit a case from its own copy (consent recorded in the field is
the case's next revision, made from the working set): every field of the case, so that the edit
keeps what it does not change."""
from webapp.book import fields
from webapp.models import Case

from .factories import login_as, make_case


def test_the_working_set_holds_every_field_of_a_case_and_an_edit_from_it_keeps_them(
        client, member):
    case = make_case(created_by=member, met_how="Gặp ở buổi họp tổ dân phố", address="Tổ 4",
                     consent=("follow",), review_status="submitted")
    login_as(client, member)
    boot = client.get("/api/v1/bootstrap").get_json()
    [copy] = [c for c in boot["cases"] if c["uuid"] == case.uuid]
    names = set(fields.entry_schema(fields.CASE)["properties"])
    assert names <= set(copy)
    data = {name: copy[name] for name in names}
    data["consent"] = dict(copy["consent"], refer=True)
    answer = client.post("/api/v1/sync", json={"entries": [{
        "uuid": case.uuid, "type": "case", "revision": copy["revision"] + 1,
        "base_revision": copy["revision"], "data": data}], "waiting": 1}).get_json()
    assert answer["results"][0]["status"] == "updated", answer
    case = Case.get_by_id(case.id)
    assert (case.met_how, case.address) == ("Gặp ở buổi họp tổ dân phố", "Tổ 4")
