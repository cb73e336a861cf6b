"""Thin adapters running the framework-free ChatApp on aiogram or python-telegram-bot.

Import the one you need from its module (`bot.adapters.aiogram_adapter`,
`bot.adapters.ptb_adapter`): importing this package loads neither framework.
"""
