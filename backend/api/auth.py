"""POST /api/auth/token: the OAuth2 password flow, answering a short-lived bearer token."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy.orm import Session

from backend.api.deps import current_user
from backend.db import get_session
from backend.models import AppUser
from backend.services.auth import authenticate, issue_token

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/token", summary="Exchange username and password for a bearer token")
def token(
    request: Request, form: OAuth2PasswordRequestForm = Depends(), session: Session = Depends(get_session)
) -> dict:
    user = authenticate(session, form.username, form.password)
    access, ttl = issue_token(request.app.state.settings, user)
    return {"access_token": access, "token_type": "bearer", "expires_in": ttl, "role": user.role}


@router.get("/me", summary="Who the token belongs to")
def me(user: AppUser = Depends(current_user)) -> dict:
    return {"username": user.username, "role": user.role}
