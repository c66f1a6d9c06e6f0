from .factories import login_as, make_user


def test_login_and_home(client):
    user = make_user(role="chair")
    response = login_as(client, user)
    assert response.status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert user.club.name in page.get_data(as_text=True)
