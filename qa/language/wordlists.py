"""Word lists for matching questions to text: what a question is made of besides its topic."""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that make a sentence a question and say nothing about what it asks of the articles.
QUESTION_WORDS = _words(
    """
according are be been called can could did do does done had has have how is many may might much
must name named shall should was were what when where which who whom whose why will would
"""
)

# Function words and pronouns: what is left of a follow-up once its topic words are gone.
FUNCTION_WORDS = QUESTION_WORDS | _words(
    """
a about after also an and any as at before but by for from he her his i in into it its more most
no not of on or our over said say she so some than that the their them then there these they
this those to under we with yes you your
"""
)

# Capitalised words that name nothing: titles, and function words that start a clause.
NOT_NAMES = _words("mr mrs ms dr the i a an but and in on it he she they this that however")
