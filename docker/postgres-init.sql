-- Rasa's tracker store lives in its own database, separate from the app database.
CREATE DATABASE rasa OWNER saphan;
