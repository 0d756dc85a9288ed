from django.urls import path

from bench.peers.django_peer import views

urlpatterns = [
    path("bench/sign-in", views.sign_in),
    path("bench/whoami", views.whoami),
]
