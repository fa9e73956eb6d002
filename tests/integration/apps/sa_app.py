"""A small SQLAlchemy 1.4 ORM application (customers and their invoices) that knows nothing
about Tombstone: the mapped classes have no deleted_at attribute. DDL is the application's own
create_all() plus the marker columns and partial unique index `tombstone migrate` would add."""
from sqlalchemy import Column, ForeignKey, Integer, Numeric, String, create_engine, text
from sqlalchemy.orm import declarative_base, relationship, sessionmaker

Base = declarative_base()


class Customer(Base):
    __tablename__ = "customers"
    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False)
    email = Column(String(200), nullable=False)  # unique among live customers (partial index)
    invoices = relationship("Invoice", back_populates="customer", cascade="all, delete-orphan",
                            order_by="Invoice.id")


class Invoice(Base):
    __tablename__ = "invoices"
    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, ForeignKey("customers.id"), nullable=False)
    amount = Column(Numeric, nullable=False)
    customer = relationship("Customer", back_populates="invoices")


MIGRATION = [
    "ALTER TABLE customers ADD COLUMN deleted_at timestamptz, ADD COLUMN deleted_by text",
    "ALTER TABLE invoices ADD COLUMN deleted_at timestamptz, ADD COLUMN deleted_by text",
    "CREATE UNIQUE INDEX customers_email_live ON customers (email) WHERE deleted_at IS NULL",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON customers, invoices TO bob",
    "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO bob",
]


def create_schema(direct_url):
    engine = create_engine(direct_url, future=True)
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        for statement in MIGRATION:
            conn.execute(text(statement))
    engine.dispose()


def sessions(url):
    engine = create_engine(url, future=True)
    return engine, sessionmaker(engine, future=True)
