from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

BENCH_EMAIL = "bench@example.com"


@csrf_exempt  # the benchmark signs in once, with no form to carry a token
@require_POST
def sign_in(request: HttpRequest) -> HttpResponse:
    login(request, get_user_model().objects.get(username="bench"))
    return HttpResponse("signed in")


@login_required
def whoami(request: HttpRequest) -> HttpResponse:
    """The signed-in account's email, as plain as a page gets."""
    return HttpResponse(request.user.email, content_type="text/html; charset=utf-8")
